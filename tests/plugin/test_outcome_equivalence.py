"""The doctor never changes a test's outcome (issue 8, item 3).

One mixed suite (pass, fail, setup and teardown errors, skips, xfail/xpass, sync
and async, pytest-asyncio and anyio tests, leaked tasks, sockets, threads,
never-awaited coroutines, a custom ``event_loop``) is generated once and run in
each configuration once; outcomes are compared test by test from ``--junitxml``,
which pytest writes itself, so the comparison does not trust the plugin's own
records. Only ``--loop-strict`` may change outcomes, and only as documented: a
passing test with findings gains a teardown error.

``LOOPDOCTOR_SUITE_MODE`` (strict, auto or anyio; comma-separated) restricts the
modes, so ``benchmarks/compat_matrix.py`` can report one row per mode.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

MODES = ("strict", "auto", "anyio")
_MODE_ARGS = {
    "strict": ["-o", "asyncio_mode=strict"],
    "auto": ["-o", "asyncio_mode=auto"],
    # anyio's pytest plugin alone: pytest-asyncio disabled, its marked tests cannot run.
    "anyio": ["-p", "no:asyncio"],
}
REPORT = ["--loop-report"]
HAS_XDIST = find_spec("xdist") is not None
HAS_RANDOMLY = find_spec("pytest_randomly") is not None
RANDOM = ["-p", "randomly", "--randomly-seed=1234"]
NO_RANDOM = ["-p", "no:randomly"]
PLANTED = "probe exploded (planted by the test)"


def _modes() -> tuple[str, ...]:
    wanted = os.environ.get("LOOPDOCTOR_SUITE_MODE", "")
    chosen = tuple(m for m in wanted.split(",") if m in MODES)
    return chosen or MODES


SUITE_INI = """\
[pytest]
asyncio_mode = strict
markers =
    anyio: anyio's marker (declared so the anyio-less run does not warn differently)
"""

CONFTEST = '''
"""Shared fixtures; with LD_BREAK_PROBE=1 the doctor's RSS probe (and psutil) raise."""
import asyncio
import os

import pytest

if os.environ.get("LD_BREAK_PROBE") == "1":
    import psutil

    import loopdoctor.pytest_plugin.probes as probes

    def _broken(*args, **kwargs):
        raise RuntimeError("probe exploded (planted by the test)")

    probes.rss_bytes = _broken
    psutil.Process.memory_info = _broken


@pytest.fixture
def broken_setup():
    raise RuntimeError("setup boom")


@pytest.fixture
def broken_teardown():
    yield "value"
    raise RuntimeError("teardown boom")


@pytest.fixture
def anyio_backend():
    return "asyncio"
'''

TEST_MIXED = """
import asyncio
import gc
import socket
import threading
import warnings

import pytest
import pytest_asyncio

_KEEP = []
_NEVER = threading.Event()


async def forever():
    await asyncio.sleep(3600)


async def helper():
    return 1


def test_sync_pass():
    assert True


def test_sync_fail():
    assert 1 == 2


def test_setup_error(broken_setup):
    pass


def test_teardown_error(broken_teardown):
    assert broken_teardown == "value"


def test_fail_and_teardown_error(broken_teardown):
    assert broken_teardown == "other"


@pytest.mark.skip(reason="static skip")
def test_skip_marker():
    raise AssertionError


def test_skip_inside():
    pytest.skip("dynamic skip")


@pytest.mark.xfail(reason="known bug")
def test_xfail():
    assert False


@pytest.mark.xfail(reason="fixed already")
def test_xpass():
    assert True


@pytest.mark.xfail(reason="fixed already", strict=True)
def test_xpass_strict():
    assert True


@pytest.mark.parametrize("n", range(3))
def test_param(n):
    assert n != 1


class TestGroup:
    def test_method_pass(self):
        assert True

    def test_method_fail(self):
        assert False


@pytest.mark.asyncio
async def test_async_pass():
    await asyncio.sleep(0)


@pytest.mark.asyncio
async def test_async_fail():
    await asyncio.sleep(0)
    assert False


@pytest.mark.asyncio
async def test_async_leaks_task():
    asyncio.create_task(forever(), name="leaked-forever")
    await asyncio.sleep(0)


@pytest_asyncio.fixture
async def leaky_fixture():
    asyncio.create_task(forever(), name="leaked-by-fixture")
    yield 1


@pytest.mark.asyncio
async def test_async_fixture_leaks(leaky_fixture):
    assert leaky_fixture == 1


@pytest_asyncio.fixture
async def async_teardown_error():
    yield 1
    raise RuntimeError("async teardown boom")


@pytest.mark.asyncio
async def test_async_teardown_error(async_teardown_error):
    assert async_teardown_error == 1


@pytest_asyncio.fixture
async def async_setup_error():
    raise RuntimeError("async setup boom")
    yield


@pytest.mark.asyncio
async def test_async_setup_error(async_setup_error):
    pass


async def test_unmarked_async():
    await asyncio.sleep(0)


@pytest.fixture
async def plain_async_fixture():
    return 42


@pytest.mark.asyncio
async def test_plain_async_fixture(plain_async_fixture):
    assert plain_async_fixture == 42


@pytest.mark.asyncio
async def test_async_never_awaited():
    helper()
    await asyncio.sleep(0)


def test_sync_never_awaited():
    helper()


def test_coroutine_in_cycle():
    holder = {}
    holder["self"] = holder
    holder["coro"] = helper()
    del holder


def test_gc_runs_here():
    gc.collect()


def test_unclosed_socket():
    sock = socket.socket()
    del sock


def test_kept_socket():
    _KEEP.append(socket.socket())


def test_leaks_thread():
    threading.Thread(target=_NEVER.wait, name="leaked-waiter", daemon=True).start()


def test_manual_loop_leak():
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(asyncio.sleep(0))
        loop.create_task(forever())
        loop.run_until_complete(asyncio.sleep(0))
    finally:
        loop.close()


def test_resource_warning_expected():
    with pytest.warns(ResourceWarning):
        warnings.warn("explicit", ResourceWarning)


@pytest.mark.anyio
async def test_anyio_pass():
    await asyncio.sleep(0)


@pytest.mark.anyio
async def test_anyio_fail():
    await asyncio.sleep(0)
    assert False


@pytest.mark.anyio
async def test_anyio_leaks_task():
    asyncio.get_running_loop().create_task(forever())
    await asyncio.sleep(0)
"""

TEST_CUSTOM_LOOP = '''
"""A user-defined event_loop: used by 0.21, deprecated by 0.23-0.25, ignored by 1.x.

Each test checks its own loop, so outcomes do not depend on order or xdist placement.
"""
import asyncio

import pytest


@pytest.fixture(scope="module")
def event_loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.mark.asyncio
async def test_custom_loop_requested(event_loop):
    assert asyncio.get_running_loop() is event_loop


@pytest.mark.asyncio
async def test_custom_loop_not_requested():
    await asyncio.sleep(0)
'''


@dataclass
class Run:
    """One pytest run of the suite: outcomes by test, the terminal text, the JSON report."""

    args: list[str]
    returncode: int
    outcomes: dict[str, str]
    stdout: str
    report: dict[str, Any] | None


def _outcomes(junit: Path) -> dict[str, str]:
    """nodeid-like key -> e.g. "passed", "failure", "error:teardown", "skipped:pytest.xfail"."""
    out: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        key = f"{case.get('classname')}::{case.get('name')}"
        tags: list[str] = []
        for child in case:
            if child.tag == "failure":
                tags.append("failure")
            elif child.tag == "error":
                message = child.get("message") or ""
                phase = message.split(" with ")[0].replace("failed on ", "")
                tags.append(f"error:{phase}")
            elif child.tag == "skipped":
                tags.append(f"skipped:{child.get('type')}")
        # A failed call plus a teardown error is two <testcase> elements: merge them.
        if key in out and out[key] != "passed":
            tags.extend(out[key].split("+"))
        out[key] = "+".join(sorted(tags)) or "passed"
    return out


def _record_outcome(junit_outcome: str) -> str:
    """What the doctor's record should say for a junit outcome (record.outcome_of)."""
    if "error:" in junit_outcome:
        return "error"
    if "failure" in junit_outcome:
        return "failed"
    if "skipped" in junit_outcome:
        return "skipped"
    return "passed"


class Suite:
    """The generated suite and its runs, each configuration run once and cached."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.runs: dict[str, Run] = {}
        (root / "pytest.ini").write_text(SUITE_INI)
        (root / "conftest.py").write_text(CONFTEST)
        (root / "test_mixed.py").write_text(TEST_MIXED)
        (root / "test_custom_loop.py").write_text(TEST_CUSTOM_LOOP)

    def _run(self, name: str, args: list[str], env_extra: dict[str, str]) -> Run:
        junit = self.root / f"junit-{name}.xml"
        report = self.root / f"report-{name}.json"
        args = [a.replace("{json}", str(report)) for a in args]
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PYTEST_", "LD_")) or k == "PYTEST_ASYNCIO_MODE"
        }
        env.update(env_extra)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA"]
        cmd += [f"--junitxml={junit}", *args]
        proc = subprocess.run(
            cmd, cwd=self.root, env=env, capture_output=True, text=True, timeout=240
        )
        assert junit.exists(), f"{name}: no junit xml\n{proc.stdout[-4000:]}\n{proc.stderr}"
        data = json.loads(report.read_text()) if report.exists() else None
        return Run(args, proc.returncode, _outcomes(junit), proc.stdout + proc.stderr, data)

    def prefetch(self, configs: dict[str, tuple[list[str], dict[str, str]]]) -> None:
        """Run the configurations two at a time (most of a run is interpreter start-up)."""
        todo = {k: v for k, v in configs.items() if k not in self.runs}
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {k: pool.submit(self._run, k, *v) for k, v in todo.items()}
            for key, future in futures.items():
                self.runs[key] = future.result()


def _configs(modes: tuple[str, ...]) -> dict[str, tuple[list[str], dict[str, str]]]:
    configs: dict[str, tuple[list[str], dict[str, str]]] = {}
    json_flag = "--loop-report-json={json}"
    for mode in modes:
        base = [*_MODE_ARGS[mode], *NO_RANDOM]
        configs[f"{mode}-plain"] = (base, {})
        configs[f"{mode}-report"] = ([*base, *REPORT, json_flag], {})
    if "strict" in modes:
        base = [*_MODE_ARGS["strict"], *NO_RANDOM]
        configs["strict-loop-strict"] = ([*base, "--loop-strict", json_flag], {})
        configs["strict-broken"] = ([*base, *REPORT, json_flag], {"LD_BREAK_PROBE": "1"})
        if HAS_XDIST:
            configs["strict-xdist-plain"] = ([*base, "-n", "2"], {})
            configs["strict-xdist-report"] = ([*base, "-n", "2", *REPORT, json_flag], {})
        if HAS_RANDOMLY:
            rnd = [*_MODE_ARGS["strict"], *RANDOM]
            configs["strict-random-plain"] = (rnd, {})
            configs["strict-random-report"] = ([*rnd, *REPORT, json_flag], {})
    return configs


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Suite:
    """Generate the suite once and run every configuration the selected modes need."""
    made = Suite(tmp_path_factory.mktemp("mixed_suite"))
    made.prefetch(_configs(_modes()))
    return made


def _assert_same(base: Run, other: Run) -> None:
    assert set(base.outcomes) == set(other.outcomes), "different tests collected"
    changed = {
        key: (base.outcomes[key], other.outcomes[key])
        for key in base.outcomes
        if base.outcomes[key] != other.outcomes[key]
    }
    assert changed == {}, f"outcomes changed (without -> with): {changed}"
    assert base.returncode == other.returncode


def _assert_records_match(run: Run) -> None:
    """Every test has a record, and the record agrees with pytest's own outcome."""
    assert run.report is not None, run.stdout[-3000:]
    records = {
        rec["nodeid"].replace(".py::", "::").replace("/", "."): rec["outcome"]
        for rec in run.report["tests"]
    }
    expected = {
        _junit_key_to_nodeid(key): _record_outcome(outcome) for key, outcome in run.outcomes.items()
    }
    assert records == expected


def _junit_key_to_nodeid(key: str) -> str:
    """junit "test_mixed.TestGroup::test_x" -> "test_mixed::TestGroup::test_x"."""
    classname, _, name = key.partition("::")
    module, _, cls = classname.partition(".")
    return f"{module}::{cls}::{name}" if cls else f"{module}::{name}"


@pytest.mark.parametrize("mode", MODES)
def test_loop_report_changes_no_outcome(suite: Suite, mode: str) -> None:
    if mode not in _modes():
        pytest.skip(f"LOOPDOCTOR_SUITE_MODE excludes {mode}")
    plain, report = suite.runs[f"{mode}-plain"], suite.runs[f"{mode}-report"]
    assert len(plain.outcomes) >= 35
    assert {"passed", "failure", "error:setup", "error:teardown"} <= set(plain.outcomes.values())
    _assert_same(plain, report)
    _assert_records_match(report)
    assert report.report is not None
    assert report.report["session"]["internal_errors"] == []
    assert "loopdoctor runtime report" in report.stdout
    codes = {f["code"] for rec in report.report["tests"] for f in rec["findings"]}
    # The planted leaks are seen (which ones depends on the mode and the version).
    assert {"LR04", "LR05"} <= codes, codes
    if mode != "anyio":
        assert "LR02" in codes, codes


def _strict_suite(suite: Suite) -> None:
    if "strict" not in _modes():
        pytest.skip("LOOPDOCTOR_SUITE_MODE excludes strict")


def test_loop_strict_only_fails_passing_tests_with_findings(suite: Suite) -> None:
    """docs/runtime.md: with --loop-strict a test's own findings add a teardown error."""
    _strict_suite(suite)
    plain, strict = suite.runs["strict-plain"], suite.runs["strict-loop-strict"]
    assert set(plain.outcomes) == set(strict.outcomes)
    assert strict.report is not None
    with_findings = {
        rec["nodeid"].replace(".py::", "::"): [f["code"] for f in rec["findings"]]
        for rec in strict.report["tests"]
    }
    changed = set()
    for key, before in plain.outcomes.items():
        after = strict.outcomes[key]
        if after == before:
            continue
        changed.add(key)
        # The only change allowed: a teardown error added (to a passed or failed call).
        gained = "error:teardown" if before == "passed" else f"{before}+error:teardown"
        assert after == "+".join(sorted(gained.split("+"))), (key, before, after)
        assert with_findings[_junit_key_to_nodeid(key)], f"{key} failed without a finding"
    assert "test_mixed::test_async_leaks_task" in changed
    assert "test_mixed::test_sync_pass" not in changed
    assert "loopdoctor findings fail this test" in strict.stdout


@pytest.mark.skipif(not HAS_XDIST, reason="needs pytest-xdist")
def test_xdist_outcomes_identical(suite: Suite) -> None:
    _strict_suite(suite)
    plain, report = suite.runs["strict-xdist-plain"], suite.runs["strict-xdist-report"]
    _assert_same(plain, report)
    _assert_same(suite.runs["strict-plain"], plain)
    _assert_records_match(report)
    assert report.report is not None
    assert report.report["session"]["workers"] == 2
    assert report.report["session"]["internal_errors"] == []


@pytest.mark.skipif(not HAS_RANDOMLY, reason="needs pytest-randomly")
def test_randomly_outcomes_identical(suite: Suite) -> None:
    _strict_suite(suite)
    plain, report = suite.runs["strict-random-plain"], suite.runs["strict-random-report"]
    assert "randomly-seed=1234" in plain.stdout.replace("--", "")
    _assert_same(plain, report)
    _assert_same(suite.runs["strict-plain"], plain)  # the suite is order-independent
    _assert_records_match(report)


def test_internal_error_is_contained_and_reported_once(suite: Suite) -> None:
    """A probe that raises in every test: same outcomes, one line in the summary and JSON."""
    _strict_suite(suite)
    baseline, broken = suite.runs["strict-plain"], suite.runs["strict-broken"]
    _assert_same(baseline, broken)
    assert "INTERNALERROR" not in broken.stdout
    assert broken.report is not None
    errors = broken.report["session"]["internal_errors"]
    assert len([e for e in errors if PLANTED in e]) == 1, errors
    lines = broken.stdout.splitlines()
    assert len([line for line in lines if "loopdoctor internal errors" in line]) == 1
    assert len([line for line in lines if f"RuntimeError: {PLANTED}" in line]) == 1
    _assert_records_match(broken)


def test_report_says_what_the_installed_pytest_asyncio_lacks(suite: Suite) -> None:
    """Before 0.24 there is no loop_scope: the report says so instead of inferring scopes."""
    _strict_suite(suite)
    report = suite.runs["strict-report"]
    assert report.report is not None
    session = report.report["session"]
    major, minor = (int(p) for p in session["pytest_asyncio"].split(".")[:2])
    lacks = [n for n in session["pytest_asyncio_notes"] if "has no loop_scope" in n]
    assert bool(lacks) == ((major, minor) < (0, 24)), session["pytest_asyncio_notes"]
    if lacks:
        assert f"note: {lacks[0][:60]}" in report.stdout
