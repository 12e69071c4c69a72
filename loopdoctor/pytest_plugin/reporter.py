"""The doctor: hookwrappers that measure each test, build its record and report.

Records travel as a plain dict attribute on the teardown TestReport
(``report.loopdoctor``), which pytest-xdist serialises with the report, so the
controller (or the single process) aggregates in ``pytest_runtest_logreport``.
Facts known only at session end (resources still open, tasks cancelled when a
wide-scoped loop closed) travel in ``config.workeroutput`` under xdist.
Every hook body is guarded: a bug here is reported, never a test failure.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import json
import logging
import os
import re
import sys
import threading
import traceback
import warnings
import weakref
from array import array
from collections.abc import Callable, Generator
from typing import Any

import pytest

from . import probes
from .options import Settings, format_size, parse_size
from .record import build_report, finding, new_record, outcome_of
from .state import Candidate, FixtureRun, Limits, LiveTest

MARKER = "loopdoctor"
_NEVER_AWAITED = re.compile(r"coroutine '([^']+)' was never awaited")
_ORIGIN_FRAME = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')
_MAX_SLOW_PER_TEST = 5
_ORIGIN_DEPTH = 4  # coroutine origin frames for LR04 attribution, with --loop-debug


class _AsyncioLogHandler(logging.Handler):
    """Routes asyncio's own log records (slow callbacks, dropped tasks) to the doctor."""

    def __init__(self, doctor: Doctor) -> None:
        super().__init__(level=logging.WARNING)
        self.doctor = doctor

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.doctor.on_asyncio_log(record)
        except Exception as exc:
            self.doctor.internal_error("asyncio log handler", exc)


class Doctor:
    """Registered as a pytest plugin when the doctor is enabled."""

    def __init__(self, config: pytest.Config, settings: Settings, measure_all: bool) -> None:
        self.config = config
        self.settings = settings
        self.measure_all = measure_all
        self.worker_id: str | None = getattr(config, "workerinput", {}).get("workerid")
        self.is_worker = self.worker_id is not None
        dist = getattr(config.option, "dist", "no")
        self.is_xdist_controller = not self.is_worker and dist not in (None, "no")
        # Finished records as compact JSON text (strings are not tracked by the gc;
        # a dict tree per test would make its full passes slower and more frequent).
        self.records: list[str | dict[str, Any]] = []
        self.record_ids: list[str] = []
        self.late: list[tuple[str, dict[str, Any]]] = []
        self.session_findings: list[dict[str, Any]] = []
        self.internal_errors: list[str] = []
        self._faults: set[str] = set()
        self.rss_values: array[int] = array("q")
        self.worker_summaries: list[dict[str, Any]] = []
        self.final: dict[str, Any] | None = None
        self.cur: LiveTest | None = None
        self.last_nodeid = ""
        self.fixture_stack: list[FixtureRun] = []
        self.active_fixtures: dict[str, list[FixtureRun]] = {}
        self.tearing_down: dict[int, FixtureRun] = {}
        self.candidates: dict[tuple[str, int], Candidate] = {}
        self.reported_tasks: weakref.WeakSet[Any] = weakref.WeakSet()
        self.leaked_names: dict[str, str] = {}
        self.loop_error_tests: list[str] = []
        self.index = 0
        self._foreign: list[tuple[str, str, bool]] = []
        self._carry: tuple[int, set[int], dict[int, threading.Thread]] | None = None
        self.fd_tracker = probes.FdTracker()
        self.any_failed = False
        self.markers_used = True  # until collection says otherwise
        self.observer = probes.LoopObserver(
            describe=self._describe,
            owner=self._owner,
            on_close=self._on_loop_close,
            on_error=self.internal_error,
            debug=settings.debug,
            slow=settings.slow_threshold,
            on_slow=self._on_slow,
        )
        self._log_handler = _AsyncioLogHandler(self)
        self._old_origin_depth = 0
        self._started = False

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Install the probes (workers and single process only; idempotent)."""
        if self._started or self.is_xdist_controller:
            return
        self._started = True
        self._rss()  # opens the statm fd before any test is measured
        try:
            self.observer.install()
            logging.getLogger("asyncio").addHandler(self._log_handler)
            self._old_origin_depth = sys.get_coroutine_origin_tracking_depth()
            if self.settings.debug and self._old_origin_depth < _ORIGIN_DEPTH:
                sys.set_coroutine_origin_tracking_depth(_ORIGIN_DEPTH)
        except Exception as exc:
            self.internal_error("installing probes", exc)
        try:
            # Lowest precedence: the user's own filterwarnings lines still win.
            self.config.getini("filterwarnings").insert(0, "always::ResourceWarning")
        except Exception as exc:
            self.internal_error("ResourceWarning filter", exc)

    def stop(self) -> None:
        """Undo start()."""
        if not self._started:
            return
        self._started = False
        self.observer.uninstall()
        probes.close_statm()
        logging.getLogger("asyncio").removeHandler(self._log_handler)
        sys.set_coroutine_origin_tracking_depth(self._old_origin_depth)

    def internal_error(self, where: str, exc: BaseException) -> None:
        """Remember a bug in the doctor itself; shown in the summary and the JSON."""
        frame = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
        at = f" at {os.path.basename(frame[0].filename)}:{frame[0].lineno}" if frame else ""
        fault = f"{type(exc).__name__}: {exc}{at}"
        text = f"{where}: {fault}"
        # One fault hit from several hooks (or every test) is reported once.
        if fault not in self._faults and len(self.internal_errors) < 100:
            self._faults.add(fault)
            self.internal_errors.append(text)

    def _rss(self) -> int:
        """RSS now, or 0 when the probe fails: losing RSS must not lose the other probes."""
        try:
            return probes.rss_bytes()
        except Exception as exc:
            self.internal_error("rss probe", exc)
            return 0

    def _guard(self, where: str, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as exc:
            self.internal_error(where, exc)
            return None

    def _label(self, serial: int) -> str:
        return f"{self.worker_id}:L{serial}" if self.worker_id else f"L{serial}"

    def _describe(self) -> str:
        cur = self.cur
        if cur is None or cur.finished:
            return "outside any test"
        if self.fixture_stack:
            fx = self.fixture_stack[-1]
            return f"{cur.phase} of fixture '{fx.name}' ({fx.scope}) for {cur.nodeid}"
        return f"{cur.phase} of {cur.nodeid}"

    def _owner(self) -> tuple[str, str, Any]:
        cur = self.cur
        if cur is None or cur.finished:
            return (self.last_nodeid, "outside", None)
        return (cur.nodeid, cur.phase, self.fixture_stack[-1] if self.fixture_stack else None)

    def _measures(self, item: pytest.Item) -> bool:
        return self.measure_all or item.get_closest_marker(MARKER) is not None

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self.markers_used = any(item.get_closest_marker(MARKER) for item in items)

    def _limits(self, item: pytest.Item) -> Limits:
        limits = Limits(max_growth=self.settings.max_growth, strict=self.settings.strict)
        if not self.markers_used:
            return limits
        mark = item.get_closest_marker(MARKER)
        if mark is not None:
            kw = mark.kwargs
            if kw.get("max_growth") is not None:
                limits.max_growth = parse_size(kw["max_growth"])
                limits.explicit_growth = True
            if kw.get("max_leaked_tasks") is not None:
                limits.max_leaked_tasks = int(kw["max_leaked_tasks"])
            has_limit = "max_growth" in kw or "max_leaked_tasks" in kw
            limits.strict = bool(kw.get("strict", has_limit or self.settings.strict))
        return limits

    def _add_finding(self, nodeid: str, item: dict[str, Any]) -> None:
        cur = self.cur
        if cur is not None and not cur.finished and cur.nodeid == nodeid:
            cur.record["findings"].append(item)
        elif nodeid:
            self.late.append((nodeid, item))
        else:
            self.session_findings.append(item)

    # ----------------------------------------------------------------- test phases

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, Any, None]:
        if self._measures(item):
            self._guard("setup start", self._begin, item)
        yield
        if self.cur is not None and self.cur.nodeid == item.nodeid:
            self._guard("setup end", self._end_setup, item)

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, Any, None]:
        cur = self.cur
        if cur is not None and cur.nodeid == item.nodeid:
            cur.phase = "call"
            self.observer.sinks.phase = cur.record["loops"]["call"]
        yield
        self.observer.sinks.phase = None

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, Any, None]:
        cur = self.cur
        if cur is not None and cur.nodeid == item.nodeid:
            cur.phase = "teardown"
            self.observer.sinks.phase = cur.record["loops"]["teardown"]
        yield
        self.observer.sinks.phase = None
        if cur is not None and cur.nodeid == item.nodeid:
            self._guard("teardown end", self._finish, item)

    def _begin(self, item: pytest.Item) -> None:
        if self.settings.gc:
            gc.collect()
        record = new_record(item.nodeid)
        carry = self._carry if self.measure_all and not self.settings.gc else None
        self._carry = None
        if carry is None:
            # Reading fresh; otherwise the previous test's end state is this one's
            # start (nothing but pytest's reporting runs in between): half the cost.
            carry = (self._rss(), self.fd_tracker.current()[0], probes.live_threads())
        self.cur = LiveTest(
            nodeid=item.nodeid,
            record=record,
            limits=self._limits(item),
            rss_before=carry[0],
            fds_before=carry[1],
            threads_before=carry[2],
            modules_before=len(sys.modules),
        )
        self.observer.sinks.phase = record["loops"]["setup"]
        self.observer.sinks.threads = record["loops"]["threads"]

    def _end_setup(self, item: pytest.Item) -> None:
        cur = self.cur
        assert cur is not None
        self.observer.sinks.phase = None
        for name in getattr(item, "fixturenames", ()):
            runs = self.active_fixtures.get(name)
            if runs:
                cur.fixtures[name] = runs[-1]

    def _finish(self, item: pytest.Item) -> None:
        cur = self.cur
        assert cur is not None
        nodeid = cur.nodeid
        record = cur.record
        self.observer.sinks.threads = None
        self.observer.refresh_closed(nodeid)
        self._check_fixture_loops(cur)
        self._check_pending_tasks(cur)
        if self.settings.gc:
            gc.collect()
        rss_after = self._rss()
        delta = rss_after - cur.rss_before - cur.report_overhead
        record["rss_delta"] = delta
        self.index += 1
        self.rss_values.append(rss_after)
        imported = len(sys.modules) - cur.modules_before
        if imported > 0:
            record["modules_imported"] = imported
        # Growth while modules were being imported is the import, not a leak.
        if delta > cur.limits.max_growth and (imported <= 0 or cur.limits.explicit_growth):
            record["findings"].append(
                finding(
                    "LR03",
                    f"RSS grew by {format_size(delta)} across setup, call and teardown "
                    f"(threshold {format_size(cur.limits.max_growth)})",
                    bytes=delta,
                    threshold=cur.limits.max_growth,
                )
            )
        fds_now, threads_now = self._note_new_resources(cur)
        self._carry = (rss_after, fds_now, threads_now)
        self._fill_loops(cur)
        cur.finished = True
        self.last_nodeid = nodeid

    def _check_fixture_loops(self, cur: LiveTest) -> None:
        """LR01: async fixtures whose loop is not the loop the test body ran on."""
        call_loops = cur.record["loops"]["call"]
        if not call_loops:
            return
        test_loop = call_loops[0]
        for name, run in cur.fixtures.items():
            loop = run.loop
            if loop is None or loop == test_loop or not run.is_async:
                continue
            info = self.observer.infos[loop - 1]
            state = (
                f"; {self._label(loop)} was closed after {info.closed_after}"
                if info.closed and info.closed_after != cur.nodeid
                else ""
            )
            cur.record["findings"].append(
                finding(
                    "LR01",
                    f"fixture '{name}' ({run.scope} scope) was set up on loop {self._label(loop)} "
                    f"but the test ran on loop {self._label(test_loop)}{state}",
                    fixture=name,
                    scope=run.scope,
                    fixture_loop=self._label(loop),
                    test_loop=self._label(test_loop),
                    fixture_loop_closed=info.closed,
                    rules=["LD106", "LD501"],
                )
            )

    def _leak_finding(self, task: Any, loop_label: str, when: str) -> dict[str, Any]:
        owner = self.observer.task_owner.get(task)
        name = task.get_name()
        coro = probes.task_coro_name(task)
        site = owner.site if owner else ""
        suspended = probes.task_suspension(task)
        fixture = owner.fixture.name if owner and owner.fixture is not None else None
        made_by = f"fixture '{fixture}' setup" if fixture else (owner.phase if owner else "?")
        where = f"created at {site}" if site else f"suspended at {suspended}"
        self.reported_tasks.add(task)
        if len(self.leaked_names) < 10000:
            self.leaked_names[name] = owner.nodeid if owner else self.last_nodeid
        return finding(
            "LR02",
            f"task '{name}' ({coro}) {where} was still pending {when}",
            task=name,
            coro=coro,
            created_at=site or None,
            suspended_at=suspended or None,
            created_during=made_by,
            fixture=fixture,
            loop=loop_label,
            rules=["LD303"],
        )

    def _on_loop_close(self, loop: Any, pending: list[Any]) -> None:
        """A Runner is about to cancel these tasks: the last moment they are visible."""
        info = self.observer.info_for(loop)
        label = self._label(info.serial) if info else "?"
        for task in pending:
            if task in self.reported_tasks:
                continue
            cancelling = getattr(task, "cancelling", None)
            if cancelling is not None and cancelling():
                continue
            owner = self.observer.task_owner.get(task)
            if owner is None and self.cur is None:
                continue
            nodeid = owner.nodeid if owner else (self.cur.nodeid if self.cur else "")
            self._add_finding(
                nodeid,
                self._leak_finding(
                    task, label, f"when loop {label} was closed (the runner cancelled it)"
                ),
            )

    def _check_pending_tasks(self, cur: LiveTest) -> None:
        """LR02 for loops that stay open (session loops) or closed without cancelling."""
        loops = cur.record["loops"]
        seen = set(loops["setup"]) | set(loops["call"]) | set(loops["teardown"])
        for info, loop in self.observer.loops_alive(seen):
            for task in asyncio.all_tasks(loop):
                if task.done() or task in self.reported_tasks:
                    continue
                owner = self.observer.task_owner.get(task)
                if owner is None:
                    if not info.first_seen.endswith(cur.nodeid):
                        continue
                elif owner.nodeid != cur.nodeid:
                    continue
                elif (
                    owner.fixture is not None
                    and owner.fixture.scope != "function"
                    and not owner.fixture.finished
                ):
                    continue  # a wider-scoped fixture's background task, still in use
                cancelling = getattr(task, "cancelling", None)
                if cancelling is not None and cancelling():
                    continue
                state = "closed" if loop.is_closed() else "still open"
                cur.record["findings"].append(
                    self._leak_finding(
                        task,
                        self._label(info.serial),
                        f"after the test's teardown (loop {self._label(info.serial)} {state})",
                    )
                )

    def _note_new_resources(self, cur: LiveTest) -> tuple[set[int], dict[int, threading.Thread]]:
        """Remember fds and threads that appeared; judged at session end (LR05)."""
        fds_now, changed = self.fd_tracker.current()
        if not changed and fds_now is cur.fds_before:
            new_fds: set[int] = set()
        else:
            for key in [k for k in self.candidates if k[0] == "fd" and k[1] not in fds_now]:
                del self.candidates[key]
            new_fds = fds_now - cur.fds_before
        if new_fds:
            new_fds -= self.observer.loop_fds()
        peers: dict[int, str] | None = None
        for fd in sorted(new_fds):
            target = probes.fd_target(fd)
            if target == "?":
                continue
            detail = target
            if target.startswith("socket:"):
                if peers is None:
                    peers = probes.socket_peers()
                detail = f"socket {peers.get(fd, target)}"
            self.candidates[("fd", fd)] = Candidate(cur.nodeid, "fd", target, f"fd {fd}: {detail}")
        threads_now = probes.live_threads()
        for ident, thread in threads_now.items():
            if ident in cur.threads_before and cur.threads_before[ident] is thread:
                continue
            if thread is threading.current_thread():
                continue
            self.candidates[("thread", ident)] = Candidate(
                cur.nodeid,
                "thread",
                thread.name,
                f"thread {thread.name!r} (daemon={thread.daemon}, target="
                f"{getattr(getattr(thread, '_target', None), '__qualname__', '?')})",
                thread=weakref.ref(thread),
            )
        return fds_now, threads_now

    def _judge_resources(self) -> None:
        """At session end: resources that appeared during a test and are still open."""
        fds_now = probes.open_fds() - self.observer.loop_fds()  # a loop's own fds are not leaks
        for (kind, key), cand in sorted(self.candidates.items(), key=lambda kv: kv[1].nodeid):
            if kind == "fd":
                if key not in fds_now or probes.fd_target(key) != cand.target:
                    continue
            else:
                thread = cand.thread() if cand.thread else None
                if thread is None or not thread.is_alive():
                    continue
            self.late.append(
                (
                    cand.nodeid,
                    finding(
                        "LR05",
                        f"{cand.detail} opened during this test is still open at session end",
                        resource=kind,
                        target=cand.target,
                        rules=["LD203", "LD502"] if kind == "fd" else [],
                    ),
                )
            )
        self.candidates.clear()

    def _fill_loops(self, cur: LiveTest) -> None:
        loops = cur.record["loops"]
        used: set[int] = set()
        for phase in ("setup", "call", "teardown", "threads"):
            used.update(loops[phase])
            loops[phase] = [self._label(s) for s in loops[phase]]
        fixtures: dict[str, Any] = {}
        for name, run in cur.fixtures.items():
            used.update(run.setup)
            used.update(run.teardown)
            fixtures[name] = {
                "scope": run.scope,
                "setup": [self._label(s) for s in run.setup],
                "teardown": [self._label(s) for s in run.teardown],
                "set_up_during": run.nodeid,
                "async": run.is_async,
            }
        loops["fixtures"] = fixtures
        if self.is_worker:  # the single process adds them at the end (fewer live objects)
            loops["details"] = {
                self._label(s): self.observer.infos[s - 1].as_dict() for s in sorted(used)
            }

    # ----------------------------------------------------------------- fixtures

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef: Any, request: Any) -> Generator[None, Any, None]:
        cur = self.cur
        if cur is None or cur.finished:
            yield
            return
        run = FixtureRun(name=fixturedef.argname, scope=fixturedef.scope, nodeid=cur.nodeid)
        sinks = self.observer.sinks
        previous = sinks.fixture
        sinks.fixture = run.setup
        self.fixture_stack.append(run)
        try:
            yield
        finally:
            sinks.fixture = previous
            self.fixture_stack.pop()
        if run.setup:
            self._guard("fixture setup", self._fixture_ran, fixturedef, run)

    def _fixture_ran(self, fixturedef: Any, run: FixtureRun) -> None:
        # A sync fixture that runs its own loop (asyncio.run) is not "on" a loop.
        func = inspect.unwrap(fixturedef.func)
        run.is_async = inspect.iscoroutinefunction(func) or inspect.isasyncgenfunction(func)
        self.active_fixtures.setdefault(run.name, []).append(run)

        def _teardown_begins() -> None:
            self.tearing_down[id(fixturedef)] = run
            self.observer.sinks.fixture = run.teardown
            self.fixture_stack.append(run)

        fixturedef.addfinalizer(_teardown_begins)

    @pytest.hookimpl
    def pytest_fixture_post_finalizer(self, fixturedef: Any, request: Any) -> None:
        run = self.tearing_down.pop(id(fixturedef), None)
        if run is None:
            return
        run.finished = True
        self.observer.sinks.fixture = None
        if self.fixture_stack and self.fixture_stack[-1] is run:
            self.fixture_stack.pop()
        runs = self.active_fixtures.get(run.name, [])
        if run in runs:
            runs.remove(run)

    # ----------------------------------------------------------------- reports

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Any, None]:
        cur = self.cur
        # Guarded: an exception before the yield would be a pytest INTERNALERROR.
        before = self._rss() if cur is not None and call.excinfo is not None else None
        outcome = yield
        if cur is None or cur.nodeid != item.nodeid:
            return
        if before is not None:
            # Formatting a failure (source lines, reprs) costs RSS that is not the test's.
            after = self._rss()
            if after is not None:
                cur.report_overhead += after - before
        try:
            report = outcome.get_result()
        except BaseException:
            return
        self._guard("makereport", self._on_report, item, call, report, cur)

    def _on_report(self, item: pytest.Item, call: Any, report: Any, cur: LiveTest) -> None:
        if report.failed and call.excinfo is not None:
            self._diagnose(item, call, report, cur)
        if call.when == "teardown":
            self._apply_limits(report, cur)
        cur.phases[call.when] = report.outcome
        if report.failed:
            self.any_failed = True
        if call.when == "teardown":
            cur.record["outcome"] = outcome_of(cur.phases)
            if self.is_worker:
                report.loopdoctor = cur.record  # xdist ships it with the report
            else:
                self.records.append(json.dumps(cur.record, separators=(",", ":")))
                self.record_ids.append(cur.nodeid)

    def _apply_limits(self, report: Any, cur: LiveTest) -> None:
        limits = cur.limits
        findings = [f for f in cur.record["findings"] if f["code"] != "LR07"]
        leaked = sum(1 for f in findings if f["code"] == "LR02")
        over: list[str] = []
        if limits.max_leaked_tasks is not None and leaked > limits.max_leaked_tasks:
            over.append(f"{leaked} leaked task(s) > max_leaked_tasks={limits.max_leaked_tasks}")
        if limits.strict:
            over.extend(f"{f['code']}: {f['message']}" for f in findings if f["code"] != "LR02")
            if limits.max_leaked_tasks is None:
                over.extend(f"LR02: {f['message']}" for f in findings if f["code"] == "LR02")
        if over and report.passed:
            report.outcome = "failed"
            report.longrepr = "loopdoctor findings fail this test (--loop-strict / marker):\n" + (
                "\n".join(f"  {line}" for line in over)
            )

    def _diagnose(self, item: pytest.Item, call: Any, report: Any, cur: LiveTest) -> None:
        from . import diagnosis  # only failing tests pay for it

        exc = call.excinfo.value
        symptoms = diagnosis.match(exc, str(report.longreprtext)[-4000:])
        if not symptoms:
            return
        rules = diagnosis.ordered_rules(symptoms)
        facts = self._facts(cur, call.when, exc)
        report.sections.append(("loopdoctor", diagnosis.render_section(symptoms, facts, rules)))
        first, line = symptoms[0]
        cur.record["findings"].append(
            finding(
                "LR07",
                f"{type(exc).__name__} '{first.core}' in {call.when}: {first.meaning}",
                phase=call.when,
                error=line,
                symptoms=[s.core for s, _line in symptoms],
                rules=rules,
                explain=f"loopdoctor explain {rules[0]}",
                facts=facts,
            )
        )
        if self._foreign:
            label, desc, closed = self._foreign[0]
            cur.record["findings"].append(
                finding(
                    "LR01",
                    f"the test used {desc}, bound to loop {label}"
                    + (" (already closed)" if closed else "")
                    + ", not to the loop the test ran on",
                    foreign_loop=label,
                    closed_loop=closed,
                    rules=["LD501", "LD106"],
                )
            )
        elif any(s.core == "Event loop is closed" for s, _line in symptoms):
            cur.record["findings"].append(
                finding(
                    "LR01",
                    "code in this test used an event loop that was already closed",
                    closed_loop=True,
                    rules=["LD106", "LD501"],
                )
            )
        self.loop_error_tests.append(cur.nodeid)

    def _facts(self, cur: LiveTest, when: str, exc: BaseException) -> list[str]:
        from . import diagnosis

        loops = cur.record["loops"]
        phase_loops = loops.get(when) or loops["call"] or loops["setup"]
        facts: list[str] = []
        self._foreign = []
        test_loop = phase_loops[0] if phase_loops else None
        if test_loop is not None:
            facts.append(f"this test's {when} ran on loop {self._label(test_loop)}")
        if loops["threads"]:
            facts.append(
                "loops run in other threads during this test: "
                + ", ".join(self._label(s) for s in loops["threads"])
                + " (e.g. a sync TestClient portal: each request may get a new loop)"
            )
        for name, run in cur.fixtures.items():
            if run.loop is None:
                continue
            info = self.observer.infos[run.loop - 1]
            state = f"closed after {info.closed_after}" if info.closed else "still open"
            same = "same loop as the test" if run.loop == test_loop else "a DIFFERENT loop"
            facts.append(
                f"fixture '{name}' ({run.scope} scope) was set up on loop "
                f"{self._label(run.loop)} during {run.nodeid} ({same}; {state})"
            )
        own = set(loops["setup"]) | set(loops["call"]) | set(loops["threads"])
        for desc, loop in diagnosis.bound_loops(exc):
            info = self.observer.info_for(loop)
            if info is None:
                continue
            if info.serial in own and not loop.is_closed():
                continue
            state = (
                f"closed after {info.closed_after}"
                if info.closed or loop.is_closed()
                else "still open"
            )
            facts.append(
                f"{desc} is bound to loop {self._label(info.serial)} "
                f"(first run in {info.first_seen}; {state})"
            )
            closed_now = info.closed or loop.is_closed()
            self._foreign.append((self._label(info.serial), desc.split(" in ")[0], closed_now))
        closed = [i for i in self.observer.infos if i.closed and i.closed_after][-3:]
        if closed:
            facts.append(
                "loops closed by earlier tests: "
                + ", ".join(f"{self._label(i.serial)} after {i.closed_after}" for i in closed)
                + "; any pooled connection or client created on them cannot be reused here"
            )
        if self.loop_error_tests:
            facts.append(
                "earlier tests that failed with loop errors (cascade source?): "
                + ", ".join(self.loop_error_tests[-3:])
            )
        return facts

    def collect_worker_record(self, report: pytest.TestReport) -> None:
        """xdist controller: a worker's record arrives on its teardown report."""
        if report.when != "teardown":
            return
        record = getattr(report, "loopdoctor", None)
        if isinstance(record, dict):
            self.records.append(record)
            self.record_ids.append(str(record.get("nodeid", "")))

    # ----------------------------------------------------------------- warnings and logs

    @pytest.hookimpl
    def pytest_warning_recorded(
        self, warning_message: warnings.WarningMessage, when: str, nodeid: str, location: Any
    ) -> None:
        if self.is_worker:
            return
        self._guard("warning", self._on_warning, warning_message, nodeid)

    def _on_warning(self, msg: warnings.WarningMessage, nodeid: str) -> None:
        text = str(msg.message)
        category = msg.category.__name__
        never = _NEVER_AWAITED.search(text)
        if never:
            target = self._creator(text) or nodeid
            self._record_finding(
                target,
                finding(
                    "LR04",
                    f"coroutine '{never.group(1)}' was never awaited",
                    coroutine=never.group(1),
                    warned_in=nodeid or None,
                    rules=["LD301", "LD302", "LD402"],
                ),
            )
        elif category == "ResourceWarning" or "ResourceWarning" in text:
            line = text.strip().splitlines()[0] if text.strip() else category
            self._record_finding(
                nodeid,
                finding(
                    "LR05",
                    f"ResourceWarning: {line[:240]}",
                    resource="warning",
                    rules=["LD203", "LD502"],
                ),
            )

    def _creator(self, text: str) -> str | None:
        """The test whose function created the coroutine (origin tracking frames)."""
        if "Coroutine created at" not in text:
            return None
        frames = _ORIGIN_FRAME.findall(text)
        for filename, _line, func in reversed(frames):
            norm = filename.replace(os.sep, "/")
            for nodeid in reversed(self.record_ids):
                path, _, rest = nodeid.partition("::")
                name = rest.split("::")[-1].split("[")[0]
                if name == func and norm.endswith(path):
                    return nodeid
        return None

    def _record_finding(self, nodeid: str, item: dict[str, Any]) -> None:
        if nodeid:
            self.late.append((nodeid, item))
        else:
            self.session_findings.append(item)

    def on_asyncio_log(self, record: logging.LogRecord) -> None:
        """LR05/LR06 from asyncio's logger, attributed to the test running now."""
        message = record.getMessage()
        cur = self.cur
        nodeid = cur.nodeid if cur is not None and not cur.finished else ""
        if "Task was destroyed but it is pending" in message:
            name = re.search(r"name='([^']+)'", message)
            leaker = self.leaked_names.get(name.group(1)) if name else None
            item = finding(
                "LR05",
                "Task was destroyed but it is pending: "
                + (name.group(1) if name else "?")
                + (f" (leaked by {leaker})" if leaker else ""),
                resource="task",
                leaked_by=leaker,
                rules=["LD303"],
            )
        elif "exception was never retrieved" in message:
            first = message.splitlines()[0] if message else ""
            item = finding("LR05", f"{first[:200]}", resource="task-exception", rules=["LD303"])
        elif "nclosed" in message and record.levelno >= logging.ERROR:
            first = message.splitlines()[0] if message else ""
            item = finding("LR05", f"{first[:200]}", resource="unclosed", rules=["LD203"])
        else:
            return  # slow callbacks are timed directly (see _on_slow)
        target = item.get("leaked_by") or nodeid
        if target:
            self._add_finding(target, item)
        else:
            self.session_findings.append(item)

    def _on_slow(self, handle: Any, seconds: float) -> None:
        """LR06: a callback or task step held the loop longer than the threshold."""
        text, task = probes.describe_handle(handle)
        owner = self.observer.task_owner.get(task) if task is not None else None
        cur = self.cur
        live = cur.nodeid if cur is not None and not cur.finished else ""
        nodeid = owner.nodeid if owner is not None and owner.nodeid else live
        if cur is not None and nodeid == cur.nodeid:
            slow = [f for f in cur.record["findings"] if f["code"] == "LR06"]
            if len(slow) >= _MAX_SLOW_PER_TEST:
                return
        item = finding(
            "LR06",
            f"{text} blocked the event loop for {seconds:.3f}s (threshold {self.observer.slow}s)",
            seconds=round(seconds, 4),
            threshold=self.observer.slow,
            callback=text,
            rules=["LD304"],
        )
        self._add_finding(nodeid, item)

    # ----------------------------------------------------------------- session end

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self._guard("session end", self._session_end)

    def _session_end(self) -> None:
        if self._started:
            self._collect_garbage()
            self.observer.refresh_closed(self.last_nodeid or "session end")
            self._sweep_tasks()
            self._judge_resources()
        summary = self._local_summary()
        if self.is_worker:
            self.config.workeroutput["loopdoctor"] = summary  # type: ignore[attr-defined]
            return
        self.worker_summaries.append(summary)
        self.final = self._assemble()
        if self.settings.json_path:
            path = self.settings.json_path
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            text = json.dumps(self.final, separators=(",", ":"), default=str)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        if self.settings.html_path:
            from .html_report import write_html

            write_html(self.settings.html_path, self.final)

    def _collect_garbage(self) -> None:
        """One gc at session end so dropped coroutines and sockets warn while we listen.

        The warnings are re-issued afterwards, so pytest still shows them.
        """
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            # Failures leave tracebacks in reference cycles: only then is the
            # full collection (tens of ms) worth it; otherwise the young ones.
            gc.collect() if self.loop_error_tests or self.any_failed else gc.collect(1)
        for msg in caught:
            self._on_warning(msg, "")
        for msg in caught:
            warnings.warn_explicit(msg.message, msg.category, msg.filename, msg.lineno)

    def _sweep_tasks(self) -> None:
        for info, loop in self.observer.loops_alive():
            for task in asyncio.all_tasks(loop):
                if task.done() or task in self.reported_tasks:
                    continue
                owner = self.observer.task_owner.get(task)
                if owner is None:
                    continue
                self._add_finding(
                    owner.nodeid,
                    self._leak_finding(task, self._label(info.serial), "at session end"),
                )

    def _local_summary(self) -> dict[str, Any]:
        return {
            "worker": self.worker_id,
            "late": self.late,
            "session_findings": self.session_findings,
            "internal_errors": self.internal_errors,
            "rss_values": list(self.rss_values),
            "loops_seen": len(self.observer.infos),
        }

    def on_worker_done(self, output: dict[str, Any] | None) -> None:
        """Controller side of xdist: keep what a worker sent at its session end."""
        if isinstance(output, dict) and isinstance(output.get("loopdoctor"), dict):
            self.worker_summaries.append(output["loopdoctor"])

    def _assemble(self) -> dict[str, Any]:
        gc_was_on = gc.isenabled()
        gc.disable()  # thousands of fresh dicts: no point in collecting while building them
        try:
            return self._assemble_records()
        finally:
            if gc_was_on:
                gc.enable()

    def _expand(self, raw: str | dict[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = raw if isinstance(raw, dict) else json.loads(raw)
        loops = record.get("loops", {})
        if "details" not in loops:
            labels: set[str] = set()
            for phase in ("setup", "call", "teardown", "threads"):
                labels.update(loops.get(phase, []))
            for fx in loops.get("fixtures", {}).values():
                labels.update(fx.get("setup", []))
                labels.update(fx.get("teardown", []))
            details = {}
            for label in sorted(labels, key=lambda s: int(s[1:]) if s[1:].isdigit() else 0):
                if label[1:].isdigit() and 0 < int(label[1:]) <= len(self.observer.infos):
                    details[label] = self.observer.infos[int(label[1:]) - 1].as_dict()
            loops["details"] = details
        return record

    def _assemble_records(self) -> dict[str, Any]:
        records = [self._expand(raw) for raw in self.records]
        by_id = {rec["nodeid"]: rec for rec in records}
        session_findings: list[dict[str, Any]] = []
        internal: list[str] = list(self.internal_errors)
        loops_seen = 0
        slopes: list[tuple[float, int, int]] = []
        for summary in self.worker_summaries:
            for nodeid, item in summary.get("late", []):
                target = by_id.get(nodeid)
                if target is None:
                    session_findings.append({**item, "nodeid": nodeid})
                elif item not in target["findings"]:
                    target["findings"].append(item)
            session_findings.extend(summary.get("session_findings", []))
            for err in summary.get("internal_errors", []):
                if err not in internal:
                    internal.append(err)
            loops_seen += int(summary.get("loops_seen", 0))
            series = summary.get("rss_values", [])
            if series:
                slopes.append(_trend(series))
        rss = _combine_trends(slopes)
        if (
            rss.get("trend_bytes_per_test") is not None
            and rss["tests"] >= 8
            and rss["trend_bytes_per_test"] * rss["tests"] > self.settings.max_growth
            and rss["trend_bytes_per_test"] > 64 * 1024
        ):
            session_findings.append(
                finding(
                    "LR03",
                    f"RSS grows steadily by {format_size(rss['trend_bytes_per_test'])} per test "
                    f"over {rss['tests']} tests",
                    bytes=int(rss["trend_bytes_per_test"] * rss["tests"]),
                    trend_bytes_per_test=rss["trend_bytes_per_test"],
                )
            )
            self._attribute_trend(records, rss["trend_bytes_per_test"])
        import pytest as _pytest

        session: dict[str, Any] = {
            "plugin": "loopdoctor",
            "python": sys.version.split()[0],
            "pytest": _pytest.__version__,
            "pytest_asyncio": _version("pytest-asyncio"),
            "pytest_asyncio_notes": self._guard("version notes", _asyncio_notes, self.config) or [],
            "settings": self.settings.as_dict(),
            "workers": len([s for s in self.worker_summaries if s.get("worker")]),
            "tests": len(records),
            "loops_seen": loops_seen,
            "rss": rss,
            "findings": session_findings,
            "internal_errors": internal,
        }
        return build_report(records, session)

    def _attribute_trend(self, records: list[dict[str, Any]], slope: float) -> None:
        """With a steady session leak, name the tests whose own growth feeds it."""
        floor = max(256 * 1024, slope / 2)
        for rec in records:
            delta = int(rec.get("rss_delta", 0))
            if delta < floor or rec.get("modules_imported"):
                continue
            if any(f["code"] == "LR03" for f in rec["findings"]):
                continue
            rec["findings"].append(
                finding(
                    "LR03",
                    f"RSS grew by {format_size(delta)}: part of a steady session-wide growth of "
                    f"{format_size(slope)} per test",
                    bytes=delta,
                    trend_bytes_per_test=slope,
                )
            )

    # ----------------------------------------------------------------- terminal

    def pytest_report_header(self, config: pytest.Config) -> str | None:
        return self.settings.header() if self.measure_all else None

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.is_worker or self.final is None:
            return
        wanted = self.settings.report or self.settings.debug or self.settings.strict
        if not wanted and not self.final["session"]["internal_errors"]:
            return
        from .summary import render

        try:
            terminalreporter.section("loopdoctor runtime report")
            width = max(100, getattr(getattr(terminalreporter, "_tw", None), "fullwidth", 100))
            for line in render(self.final, top=self.settings.top, width=width):
                terminalreporter.write_line(line)
            if self.settings.json_path:
                terminalreporter.write_line(f"JSON report: {self.settings.json_path}")
            if self.settings.html_path:
                terminalreporter.write_line(f"HTML report: {self.settings.html_path}")
        except Exception as exc:
            self.internal_error("terminal summary", exc)


class XdistBridge:
    """Controller-side xdist hook, registered only when xdist is present."""

    def __init__(self, doctor: Doctor) -> None:
        self.doctor = doctor

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.doctor._guard("xdist report", self.doctor.collect_worker_record, report)

    @pytest.hookimpl
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        self.doctor._guard(
            "xdist worker output", self.doctor.on_worker_done, getattr(node, "workeroutput", None)
        )


def _asyncio_notes(config: pytest.Config) -> list[str]:
    """What the installed pytest-asyncio lacks, checked on it (not guessed from a table).

    Before 0.24 there is no ``loop_scope``: loops come from the ``event_loop`` fixture,
    and loop-scope options in the ini file are unknown keys that pytest ignores.
    """
    installed = _version("pytest-asyncio")
    if installed is None:
        return []
    notes: list[str] = []
    try:
        import pytest_asyncio

        has_loop_scope = "loop_scope" in inspect.signature(pytest_asyncio.fixture).parameters
    except Exception:
        has_loop_scope = True  # cannot tell: say nothing
    if not has_loop_scope:
        where = (
            "a test's loop follows @pytest.mark.asyncio(scope=...), an async fixture's its "
            "cache scope"
            if installed.startswith("0.23.")
            else "tests and async fixtures run on the event_loop fixture's loop"
        )
        notes.append(
            f"pytest-asyncio {installed} has no loop_scope (added in 0.24): {where}; the "
            "loops shown are the ones measured, no loop scope is inferred"
        )
    inicfg = getattr(config, "inicfg", {}) or {}
    for key in ("asyncio_default_fixture_loop_scope", "asyncio_default_test_loop_scope"):
        if key not in inicfg:
            continue
        try:
            config.getini(key)
        except ValueError:
            notes.append(
                f"{key} is set in {config.inipath} but pytest-asyncio {installed} does not "
                "know it: ignored"
            )
    return notes


def _version(dist: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:
        return None


def _trend(series: list[int]) -> tuple[float, int, int]:
    """(least-squares slope of RSS per test after a 5-test warm-up, n, total growth)."""
    points = series[5:] if len(series) > 10 else series
    n = len(points)
    growth = series[-1] - series[0] if series else 0
    if n < 2:
        return (0.0, len(series), growth)
    xs = [float(i) for i in range(n)]
    ys = [float(p) for p in points]
    mx, my = sum(xs) / n, sum(ys) / n
    var = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else 0.0
    return (slope, len(series), growth)


def _combine_trends(trends: list[tuple[float, int, int]]) -> dict[str, Any]:
    if not trends:
        return {"trend_bytes_per_test": None, "tests": 0, "total_growth": 0}
    tests = sum(t[1] for t in trends)
    slope = sum(t[0] * t[1] for t in trends) / tests if tests else 0.0
    return {
        "trend_bytes_per_test": round(slope, 1),
        "tests": tests,
        "total_growth": sum(t[2] for t in trends),
    }
