"""Per-file views of the project index that record what a file's check reads.

Why: a cached result may be reused only while everything it was computed from is unchanged.
Rather than trusting each rule to declare its inputs, every file is checked against a *view*:
a shallow copy of the run's :class:`ProjectIndex` that shares the built modules but starts
with empty caches (resolution, memo, loop environments, type inference) and a
:class:`Recorder`. All cross-module information reaches a rule through the index (``module``,
``find_module``, ``conftests``, ``settings``, ``version``, ``coroutine_names``, or iterating
``modules``), so the recorder sees every input; an iteration of ``modules`` means "depends on
every file". Because views never share caches, a file's result is a pure function of the base
index and the file itself: serial, parallel and cached runs give the same output.

The same views make a *lazy* base index exact: checked files are only ``register``ed by name
and parsed on first use, and iterating ``modules`` first loads every registered file in the
order a full index would hold them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from loopdoctor.index.facts import ModuleInfo
from loopdoctor.project import ProjectIndex

Facet = tuple[str, ...]


class Recorder:
    """The inputs one file's check read, as facets: ("file", path), ("all",), ("coro",), ...

    ``capture`` opens a nested record (a shared analysis being computed): every facet touched
    while it is open also goes there, so the analysis can be reused with its inputs.
    """

    __slots__ = ("_open", "facets")

    def __init__(self) -> None:
        self.facets: set[Facet] = set()
        self._open: dict[object, set[Facet]] = {}

    def touch(self, *facet: str) -> None:
        self.facets.add(facet)
        for captured in self._open.values():
            captured.add(facet)

    def replay(self, facets: frozenset[Facet]) -> None:
        self.facets |= facets
        for captured in self._open.values():
            captured |= facets

    def capture(self, key: object) -> None:
        self._open.setdefault(key, set())

    def capturing(self, key: object) -> bool:
        return key in self._open

    def release(self, key: object) -> frozenset[Facet] | None:
        captured = self._open.pop(key, None)
        return frozenset(captured) if captured is not None else None


class ModuleTable(dict):  # type: ignore[type-arg]
    """``project.modules`` of a view: any iteration (or ``len``) depends on every module."""

    def __init__(self, data: dict[Path, ModuleInfo], on_all: Callable[[], None]) -> None:
        super().__init__(data)
        self._on_all = on_all

    def __iter__(self) -> Iterator[Path]:
        self._on_all()
        return super().__iter__()

    def __len__(self) -> int:
        self._on_all()
        return super().__len__()

    def keys(self):  # type: ignore[no-untyped-def]
        self._on_all()
        return super().keys()

    def values(self):  # type: ignore[no-untyped-def]
        self._on_all()
        return super().values()

    def items(self):  # type: ignore[no-untyped-def]
        self._on_all()
        return super().items()


class NameSet(set):  # type: ignore[type-arg]
    """``project.coroutine_names`` of a view: a membership test depends on all async defs."""

    def __init__(self, data: set[str], recorder: Recorder) -> None:
        super().__init__(data)
        self._recorder = recorder

    def __contains__(self, item: object) -> bool:
        self._recorder.touch("coro")
        return super().__contains__(item)


class SharedMemo:
    """``project.memo`` of a view: the run's analyses, shared by all views with their inputs.

    Why shared: analyses such as FastAPI route registrations scan every module; recomputing
    them per file made large FastAPI suites quadratic. Why sound: a miss opens a capture on the
    view's recorder, and the value stored for the key keeps every facet read while computing
    it; a later read (by any view) replays those facets, so a cached result depends on exactly
    what the analysis read. A value stored without a capture counts as reading every module.
    ``begin`` holds a placeholder while the value is computed and keeps the capture open.
    """

    __slots__ = ("_data", "_facets", "_recorder")

    def __init__(
        self, data: dict[object, object], facets: dict[object, frozenset[Facet]], recorder: Recorder
    ) -> None:
        self._data = data
        self._facets = facets
        self._recorder = recorder

    def _hit(self, key: object) -> None:
        recorder = self._recorder
        if recorder.capturing(key):
            return  # read back while being computed (recursion)
        facets = self._facets.get(key)
        if facets is None:
            recorder.touch("all")
        else:
            recorder.replay(facets)

    def _lookup(self, key: object) -> bool:
        if key in self._data:
            self._hit(key)
            return True
        self._recorder.capture(key)
        return False

    def get(self, key: object, default: object = None) -> object:
        return self._data[key] if self._lookup(key) else default

    def __getitem__(self, key: object) -> object:
        if not self._lookup(key):
            raise KeyError(key)
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        return self._lookup(key)

    def begin(self, key: object, placeholder: object) -> None:
        self._recorder.capture(key)
        self._data[key] = placeholder

    def __setitem__(self, key: object, value: object) -> None:
        self._data[key] = value
        captured = self._recorder.release(key)
        if captured is not None:
            self._facets[key] = captured
        elif key not in self._facets:
            self._recorder.touch("all")
            self._facets[key] = frozenset({("all",)})


def make_view(base: ProjectIndex, recorder: Recorder) -> ProjectIndex:
    """A copy of ``base`` with fresh caches that reports every read to ``recorder``."""
    view = copy.copy(base)
    attrs: dict[str, Any] = vars(view)
    for name in ("_module_misses", "_missing"):
        attrs[name] = set()
    for name in ("_resolve_cache", "_envs"):
        attrs[name] = {}
    view.memo = SharedMemo(base.memo, base.memo_facets, recorder)  # type: ignore[assignment]
    view._by_name = dict(base._by_name)
    view._by_global_name = dict(base._by_global_name)
    view.coroutine_names = NameSet(base.coroutine_names, recorder)
    view.recorder = recorder

    def on_all() -> None:
        recorder.touch("all")
        if len(dict.keys(base.modules)) < len(base.deferred):
            load_all(base)  # complete a lazy base once: later views start from it
        load_all(view)

    view.modules = ModuleTable(dict.items(base.modules), on_all)  # type: ignore[arg-type]
    return view


def load_all(view: ProjectIndex) -> None:
    """Load every registered file, then order ``modules`` as a full index holds them.

    A full index adds the checked files first (in registration order), then the modules
    loaded on demand in the order they were needed; iteration order is part of the answer.
    """
    table = view.modules
    pending = [p for p in view.deferred if not dict.__contains__(table, p)]
    if not pending:
        return
    recorder, view.recorder = view.recorder, None  # loading is not reading
    try:
        for path in pending:
            view._load(path)
    finally:
        view.recorder = recorder
    items = list(dict.items(table))
    order = view.deferred
    checked = sorted((kv for kv in items if kv[0] in order), key=lambda kv: order[kv[0]])
    others = [kv for kv in items if kv[0] not in order]
    dict.clear(table)
    dict.update(table, checked + others)
