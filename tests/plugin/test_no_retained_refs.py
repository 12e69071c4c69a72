"""The doctor keeps no test items, loops, tasks or coroutines alive (issue 8, item 5).

A suite run in-process records weak references to what its tests create; at
session end (the doctor still registered) nothing reachable from the doctor may
be a test item, an event loop, a task, a coroutine, a frame or a traceback, and
once the run is over every loop and task the tests made must be collectable.
What is still alive is compared with a run without the doctor: pytester's recorder
keeps items and pytest-asyncio 0.21 keeps loops, and those are not the doctor's.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

PROBE_MODULE = "ld_retained_refs_probe"

CONFTEST = """
import asyncio
import weakref

import pytest

import ld_retained_refs_probe as probe


def pytest_collection_modifyitems(items):
    probe.REFS.extend(("item", item.nodeid, weakref.ref(item)) for item in items)


@pytest.fixture
def keep():
    def _keep(kind, obj):
        probe.REFS.append((kind, repr(obj)[:80], weakref.ref(obj)))
        return obj
    return _keep


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    import loopdoctor.pytest_plugin as plugin

    doctor = session.config.stash.get(plugin._KEY, None)
    if doctor is not None:
        probe.DOCTORS += 1
        probe.DOCTOR_BAD.extend(probe.reachable_bad(doctor))
"""

SUITE = """
import asyncio
import threading

import pytest


async def forever():
    await asyncio.sleep(3600)


@pytest.mark.asyncio
async def test_loop_and_leaked_task(keep):
    keep("loop", asyncio.get_running_loop())
    keep("task", asyncio.create_task(forever()))
    await asyncio.sleep(0)


@pytest.mark.asyncio
async def test_failing_with_task(keep):
    keep("task", asyncio.create_task(forever()))
    await asyncio.sleep(0)
    raise RuntimeError("Event loop is closed")


def test_manual_loop(keep):
    loop = keep("loop", asyncio.new_event_loop())
    keep("task", loop.create_task(forever()))
    loop.run_until_complete(asyncio.sleep(0))
    loop.close()


def test_loop_in_thread(keep):
    def body():
        keep("loop", asyncio.new_event_loop()).close()
        asyncio.run(asyncio.sleep(0))

    worker = threading.Thread(target=body)
    worker.start()
    worker.join()


def test_never_awaited(keep):
    keep("coroutine", forever())


@pytest.mark.parametrize("n", range(20))
@pytest.mark.asyncio
async def test_many(keep, n):
    keep("loop", asyncio.get_running_loop())
    keep("task", asyncio.create_task(asyncio.sleep(0)))
    await asyncio.sleep(0)
"""

# Objects the doctor must not hold (directly or through its own data).
_BAD_TYPES: tuple[type, ...] = (
    pytest.Item,
    asyncio.AbstractEventLoop,
    asyncio.Future,
    types.CoroutineType,
    types.FrameType,
    types.TracebackType,
    BaseException,
)
# Shared infrastructure the doctor legitimately points at; everything hangs off it.
_STOP_TYPES: tuple[type, ...] = (
    pytest.Config,
    types.ModuleType,
    type,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.CodeType,
)


def reachable_bad(root: Any, limit: int = 200_000) -> list[str]:
    """Descriptions of forbidden objects reachable from ``root`` by strong references.

    Functions, modules, classes and pytest's Config are not followed: they lead to
    the whole interpreter, and the doctor's own data is what is being checked.
    """
    bad: list[str] = []
    seen: set[int] = {id(root)}
    stack: list[tuple[Any, str]] = [(root, "doctor")]
    while stack and len(seen) < limit:
        obj, path = stack.pop()
        for ref in gc.get_referents(obj):
            if id(ref) in seen:
                continue
            seen.add(id(ref))
            if isinstance(ref, _BAD_TYPES):
                bad.append(f"{path} -> {type(ref).__name__}: {repr(ref)[:100]}")
                continue
            if isinstance(ref, _STOP_TYPES):
                continue
            if isinstance(ref, (str, bytes, int, float)):
                continue
            stack.append((ref, f"{path} -> {type(ref).__name__}"))
    return bad


@pytest.fixture
def probe() -> Iterator[types.ModuleType]:
    """A module the generated conftest imports; it outlives pytester's sys.modules restore."""
    module = types.ModuleType(PROBE_MODULE)
    module.REFS = []  # type: ignore[attr-defined]
    module.DOCTOR_BAD = []  # type: ignore[attr-defined]
    module.DOCTORS = 0  # type: ignore[attr-defined]
    module.reachable_bad = reachable_bad  # type: ignore[attr-defined]
    sys.modules[PROBE_MODULE] = module
    yield module
    sys.modules.pop(PROBE_MODULE, None)


def _alive(module: types.ModuleType) -> dict[str, list[str]]:
    gc.collect()
    gc.collect()
    alive: dict[str, list[str]] = {}
    for kind, label, ref in module.REFS:
        if ref() is not None:
            alive.setdefault(kind, []).append(label)
    return alive


def _run(pytester: pytest.Pytester, module: types.ModuleType, *args: str) -> dict[str, list[str]]:
    pytester.makeini("[pytest]\nasyncio_mode = strict\n")
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=24, failed=1)
    del result  # its hook recorder holds the items
    return _alive(module)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_doctor_retains_no_items_loops_or_tasks(
    pytester: pytest.Pytester, probe: types.ModuleType
) -> None:
    without = _run(pytester, probe)
    probe.REFS.clear()
    with_doctor = _run(pytester, probe, "--loop-report", "--loop-report-json=r.json")
    assert probe.DOCTORS == 1
    assert probe.DOCTOR_BAD == [], probe.DOCTOR_BAD[:10]
    # pytest-asyncio 0.21 itself keeps some loops alive after the run; 1.x keeps none.
    for kind in ("loop", "task", "coroutine"):
        assert len(with_doctor.get(kind, [])) <= len(without.get(kind, [])), kind
    if not without.get("loop"):
        assert with_doctor.get("loop", []) == []
    assert set(with_doctor.get("item", [])) <= set(without.get("item", []))
    assert len(probe.REFS) >= 25 + 20 * 2  # the suite really made them
