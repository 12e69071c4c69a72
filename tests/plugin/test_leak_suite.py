"""The basic leak suite: each planted problem shows up under its test with its code."""

from __future__ import annotations

from conftest import codes_by_test, findings_of

EXPECTED = {
    "test_clean_first": set(),
    "test_leaks_task": {"LR02"},
    "test_fixture_leaks_task": {"LR02"},
    "test_clean_fixture_task": set(),
    "test_memory_growth": {"LR03"},
    "test_never_awaited": {"LR04"},
    "test_leaks_fd": {"LR05"},
    "test_leaks_thread": {"LR05"},
    "test_unclosed_socket": {"LR05"},
    "test_task_exception_never_retrieved": {"LR05"},
    "test_slow_callback": {"LR06"},
    "test_manual_loop_leak": {"LR02", "LR05"},
    "test_clean_last": set(),
    "test_cpu_bound_step": {"LR06"},
}


def _pytest_asyncio_before_1_1() -> bool:
    from importlib.metadata import version

    major, minor = (int(part) for part in version("pytest-asyncio").split(".")[:2])
    return (major, minor) < (1, 1)


def _codes(report: dict) -> dict[str, set[str]]:
    """Codes by test; before pytest-asyncio 1.1 loops close without cancelling
    (runtime-facts §2), so a leaked task may also be destroyed pending, which asyncio
    logs ("Task was destroyed": LR05) whenever the gc gets to it: not counted here."""
    codes = codes_by_test(report)
    if _pytest_asyncio_before_1_1():
        for name in ("test_leaks_task", "test_fixture_leaks_task"):
            codes[name] = codes.get(name, set()) - {"LR05"}
    return codes


def test_each_planted_problem_is_reported(run_suite) -> None:
    result, report = run_suite("basic_leaks", "--loop-report", "--loop-debug")
    result.assert_outcomes(passed=14)
    assert report["schema_version"] == 1
    assert _codes(report) == EXPECTED
    assert report["session"]["internal_errors"] == []
    leak = findings_of(report, "test_leaks_task", "LR02")[0]
    assert leak["task"] == "leaked-forever"
    assert leak["coro"] == "forever"
    assert leak["created_at"].endswith("test_leaks.py:30")
    fixture_leak = findings_of(report, "test_fixture_leaks_task", "LR02")[0]
    assert fixture_leak["fixture"] == "background"
    assert findings_of(report, "test_memory_growth", "LR03")[0]["bytes"] > 30 * 1024 * 1024
    assert findings_of(report, "test_never_awaited", "LR04")[0]["coroutine"] == "helper"
    assert findings_of(report, "test_slow_callback", "LR06")[0]["seconds"] >= 0.25
    result.stdout.fnmatch_lines(
        ["*loopdoctor: loop report on (json=*", "*loopdoctor runtime report*", "LR02 leaked-task*"]
    )


def test_records_follow_the_json_contract(run_suite) -> None:
    _result, report = run_suite("basic_leaks")
    assert set(report) == {"schema_version", "tests", "session"}
    for rec in report["tests"]:
        assert {"nodeid", "outcome", "loops", "rss_delta", "findings"} <= set(rec)
        assert rec["nodeid"].startswith("test_leaks.py::")
        assert rec["outcome"] in {"passed", "failed", "error", "skipped"}
        assert isinstance(rec["rss_delta"], int)
        for item in rec["findings"]:
            assert item["code"] in {f"LR0{i}" for i in range(1, 8)}
            assert item["message"]
    # Without --loop-debug a clear block (0.3 s > 0.15 s default) is still timed.
    assert _codes(report) == EXPECTED
    assert report["session"]["settings"]["slow_callback_seconds"] == 0.15


def test_xdist_gives_the_same_records(run_suite) -> None:
    result, report = run_suite("basic_leaks", "-n", "2", "--loop-debug")
    result.assert_outcomes(passed=14)
    assert _codes(report) == EXPECTED
    assert len(report["tests"]) == 14
    assert report["session"]["workers"] == 2
    labels = {loop for rec in report["tests"] for loop in rec["loops"]["call"]}
    assert {label.split(":")[0] for label in labels} == {"gw0", "gw1"}


def test_steady_small_growth_is_attributed(run_suite) -> None:
    result, report = run_suite("steady_leak")
    result.assert_outcomes(passed=18)
    codes = codes_by_test(report)
    assert all(codes[f"test_request[{n}]"] == {"LR03"} for n in range(12)), codes
    assert all(codes[f"test_pure[{n}]"] == set() for n in range(6)), codes
    trend = report["session"]["rss"]["trend_bytes_per_test"]
    assert trend > 256 * 1024
    assert [f["code"] for f in report["session"]["findings"]] == ["LR03"]
