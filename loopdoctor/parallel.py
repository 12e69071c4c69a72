"""Phase 2 in forked worker processes.

Why fork: the base index (every module's ``ast`` tree and facts) is built once in the parent
and inherited copy-on-write; shipping trees to workers costs more than parsing them (pickle
``loads`` of an AST measured 1.5x its ``ast.parse``), so parsing and indexing stay in the
parent and only per-file checks, whose results are small, cross process boundaries. Each file
is checked against its own view of the index, so the output is identical to a serial run.
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
    """Check ``items`` in ``jobs`` processes; big files are dealt first for an even spread."""
    global _STATE
    if not can_fork():
        return {item.path: checker.work_one(item) for item in items}
    order = sorted(range(len(items)), key=lambda i: -_size(items[i]))
    parts = max(1, min(len(items), jobs * 8))
    chunks = [order[k::parts] for k in range(parts)]
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


def _size(item: Loaded) -> int:
    source = item.parsed.source if item.parsed is not None else item.source
    return len(source.data) if source is not None else 0


def _work(indices: list[int]) -> dict[Path, FileResult]:
    assert _STATE is not None, "workers are forked from check_in_workers"
    checker, items = _STATE
    return {items[i].path: checker.work_one(items[i]) for i in indices}
