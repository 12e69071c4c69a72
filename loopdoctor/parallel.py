"""Per-file checks in forked worker processes.

Why fork: the parent has read every file and named it in the base index; workers inherit
that copy-on-write and parse what they check themselves (shipping trees to workers costs
more than parsing them: pickle ``loads`` of an AST measured 1.5x its ``ast.parse``), so only
file texts go in and small per-file results come back. Each worker takes runs of
neighbouring files, which share conftests and imports it then parses once. Each file is
checked against its own view of the index, so the output is identical to a serial run.
"""

from __future__ import annotations

import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loopdoctor.engine import Checker, FileResult, Loaded

#: The parent's checker and work list, inherited by forked workers (never pickled).
_STATE: tuple[Checker, list[Loaded]] | None = None


def can_fork() -> bool:
    """Fork is safe and cheap on Linux; elsewhere the check stays in one process."""
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def check_in_workers(checker: Checker, items: list[Loaded], jobs: int) -> dict[Path, FileResult]:
    """Check ``items`` in ``jobs`` processes, in runs of neighbouring files."""
    global _STATE
    if not can_fork():
        return {item.path: checker.work_one(item) for item in items}
    chunks = _neighbour_chunks(items, max(1, min(len(items), jobs * 24)))
    _STATE = (checker, items)
    results: dict[Path, FileResult] = {}
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            for part in pool.map(_work, chunks):
                results.update(part)
    finally:
        _STATE = None
    return {item.path: results[item.path] for item in items if item.path in results}


def _neighbour_chunks(items: list[Loaded], parts: int) -> list[list[int]]:
    """``parts`` runs of neighbouring files (by path) of about equal bytes, biggest first.

    Neighbours share conftests and the modules they import: a worker that checks a whole
    directory parses those once, where dealing files round-robin made both workers parse
    most of them. Biggest runs first, so no large one is left for the end.
    """
    order = sorted(range(len(items)), key=lambda i: str(items[i].path))
    total = sum(_size(items[i]) for i in order) or 1
    share = total / parts
    chunks: list[list[int]] = [[]]
    filled = 0
    for i in order:
        if filled >= share and len(chunks) < parts:
            chunks.append([])
            filled = 0
        chunks[-1].append(i)
        filled += _size(items[i])
    return sorted(chunks, key=lambda c: -sum(_size(items[i]) for i in c))


def _size(item: Loaded) -> int:
    source = item.parsed.source if item.parsed is not None else item.source
    return len(source.data) if source is not None else 0


def _work(indices: list[int]) -> dict[Path, FileResult]:
    assert _STATE is not None, "workers are forked from check_in_workers"
    checker, items = _STATE
    return {items[i].path: checker.work_one(items[i]) for i in indices}
