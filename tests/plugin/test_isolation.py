"""Inert without flags; marker and strict modes; a bug in the doctor never fails a test."""

from __future__ import annotations

import json

import pytest

PROBE_SUITE = """
import asyncio
import sys

import pytest


@pytest.mark.asyncio
async def test_loop_untouched():
    loop = asyncio.get_running_loop()
    assert not hasattr(asyncio.events._set_running_loop, "__wrapped__")
    assert loop.get_task_factory() is None
    assert sys.get_coroutine_origin_tracking_depth() == 0


def test_plain():
    assert True
"""

LEAKY = """
import asyncio

import pytest


async def forever():
    await asyncio.sleep(3600)


@pytest.mark.asyncio
{marker}
async def test_leaks():
    asyncio.create_task(forever())
    await asyncio.sleep(0)


@pytest.mark.asyncio
async def test_clean():
    await asyncio.sleep(0)
"""


def test_inert_without_flags(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_mode = strict\n")
    pytester.makepyfile(test_probe=PROBE_SUITE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    assert "loopdoctor:" not in result.stdout.str()
    assert "loopdoctor runtime report" not in result.stdout.str()
    assert not list(pytester.path.glob("*.json"))


def test_flags_have_ini_twins(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = strict\nloop_report = true\n"
        "loop_report_json = from-ini.json\nloop_report_top = 3\nloop_max_growth = 500KB\n"
    )
    pytester.makepyfile(test_probe="def test_plain():\n    assert True\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["loopdoctor: loop report on (json=from-ini.json, top=3, max-growth=488.3KiB*"]
    )
    report = json.loads((pytester.path / "from-ini.json").read_text())
    assert report["session"]["settings"]["max_growth"] == 500_000
    assert [r["nodeid"] for r in report["tests"]] == ["test_probe.py::test_plain"]


def test_bad_option_value_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_probe="def test_plain():\n    assert True\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--loop-max-growth=lots")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*loopdoctor: --loop-max-growth*"])


def test_marker_limit_fails_only_the_marked_test(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_mode = strict\n")
    pytester.makepyfile(
        test_leaky=LEAKY.format(marker="@pytest.mark.loopdoctor(max_leaked_tasks=0)")
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_leaks*", "*max_leaked_tasks=0*"])


def test_strict_turns_findings_into_failures(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_mode = strict\n")
    pytester.makepyfile(test_leaky=LEAKY.format(marker=""))
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--loop-strict", "--loop-report-json=r.json"
    )
    result.assert_outcomes(passed=2, errors=1)
    report = json.loads((pytester.path / "r.json").read_text())
    outcomes = {r["nodeid"].split("::")[1]: r["outcome"] for r in report["tests"]}
    assert outcomes == {"test_leaks": "error", "test_clean": "passed"}


def test_internal_error_does_not_change_outcomes(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_mode = strict\n")
    pytester.makeconftest(
        "import loopdoctor.pytest_plugin.probes as probes\n\n"
        "def _broken():\n    raise RuntimeError('probe exploded')\n\n"
        "probes.rss_bytes = _broken\n"
    )
    pytester.makepyfile(test_leaky=LEAKY.format(marker=""))
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--loop-report", "--loop-report-json=r.json"
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*loopdoctor internal errors*", "*probe exploded*"])
    report = json.loads((pytester.path / "r.json").read_text())
    assert any("probe exploded" in e for e in report["session"]["internal_errors"])


def test_teardown_failure_is_diagnosed(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(
        test_td="""
import pytest


@pytest.fixture
async def pool():
    yield "pool"
    raise RuntimeError("Event loop is closed")


async def test_uses_pool(pool):
    assert pool == "pool"
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--loop-report-json=r.json")
    result.assert_outcomes(passed=1, errors=1)
    report = json.loads((pytester.path / "r.json").read_text())
    (rec,) = report["tests"]
    assert rec["outcome"] == "error"
    diag = next(f for f in rec["findings"] if f["code"] == "LR07")
    assert diag["phase"] == "teardown"
    assert diag["rules"] == ["LD106", "LD501", "LD101"]
