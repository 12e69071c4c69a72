"""Realistic suites: FastAPI/SQLAlchemy problems found, clean suites stay clean."""

from __future__ import annotations

import pytest
from conftest import codes_by_test, findings_of


def test_fastapi_sqlite_clean_suite_reports_nothing(run_suite) -> None:
    result, report = run_suite("fastapi_sqlite_clean", "--loop-report")
    result.assert_outcomes(passed=6)
    assert all(not rec["findings"] for rec in report["tests"]), report["tests"]
    assert report["session"]["findings"] == []
    calls = [rec["loops"]["call"] for rec in report["tests"] if rec["loops"]["call"]]
    assert len({tuple(c) for c in calls}) == len(calls)  # one fresh loop per test


def test_fixture_on_other_loop_is_lr01(run_suite) -> None:
    result, report = run_suite("fixture_loop_mismatch")
    result.assert_outcomes(passed=3, failed=2)
    codes = codes_by_test(report)
    assert codes["test_sync_fixture_with_own_loop"] == set()
    assert codes["test_same_loop_assumed"] == {"LR01"}
    assert codes["test_awaits_foreign_future"] == {"LR01", "LR07"}
    assert codes["test_on_session_loop"] == set()
    assert codes["test_aligned_fixture"] == set()
    mismatch = next(
        f
        for f in findings_of(report, "test_same_loop_assumed", "LR01")
        if f.get("fixture") == "ticket"
    )
    assert mismatch["scope"] == "session"
    assert mismatch["fixture_loop"] != mismatch["test_loop"]
    diag = findings_of(report, "test_awaits_foreign_future", "LR07")[0]
    assert diag["rules"][0] == "LD106"
    result.stdout.fnmatch_lines(["*- loopdoctor -*", "*fixture 'ticket' (session scope)*"])


def test_fixture_mismatch_under_xdist_matches_serial(run_suite) -> None:
    result, report = run_suite("fixture_loop_mismatch", "-n", "2")
    result.assert_outcomes(passed=3, failed=2)
    codes = codes_by_test(report)
    assert codes["test_same_loop_assumed"] == {"LR01"}
    assert codes["test_awaits_foreign_future"] == {"LR01", "LR07"}
    assert codes["test_on_session_loop"] == set()
    assert codes["test_sync_fixture_with_own_loop"] == set()


def test_missing_greenlet_is_diagnosed(run_suite) -> None:
    result, report = run_suite("sqlalchemy_misuse")
    result.assert_outcomes(passed=1, failed=1)
    diag = findings_of(report, "test_attribute_after_commit", "LR07")[0]
    assert diag["rules"] == ["LD505"]
    assert diag["explain"] == "loopdoctor explain LD505"
    assert codes_by_test(report)["test_correct_use"] == set()


@pytest.mark.postgres
def test_pooled_engine_across_loops_on_postgres(run_suite, needs_pg) -> None:
    result, report = run_suite("pg_crossloop")
    result.assert_outcomes(passed=3, failed=4)
    codes = codes_by_test(report)
    assert codes["test_first_query"] <= {"LR05"}  # the never-disposed pooled socket
    second = findings_of(report, "test_second_query", "LR07")[0]
    assert "attached to a different loop" in second["symptoms"]
    assert second["rules"][:2] == ["LD501", "LD106"]
    first_loop = next(r for r in report["tests"] if r["nodeid"].endswith("test_first_query"))
    bound = f"bound to loop {first_loop['loops']['call'][0]} "
    assert any(bound in fact for fact in second["facts"]), second["facts"]
    third = findings_of(report, "test_third_query", "LR07")[0]
    assert third["rules"][0] == "LD605"
    assert findings_of(report, "test_third_query", "LR01")[0]["closed_loop"] is True
    gather = findings_of(report, "test_gather_on_one_session", "LR07")[0]
    assert gather["rules"] == ["LD506"]
    assert codes["test_one_session_per_task"] == set()
    closed = findings_of(report, "test_timeout_second", "LR07")[0]
    assert closed["symptoms"] == ["Event loop is closed"]
    assert closed["rules"] == ["LD106", "LD501", "LD101"]
    assert findings_of(report, "test_timeout_second", "LR01")[0]["closed_loop"] is True


@pytest.mark.postgres
def test_fastapi_module_engine_on_postgres(run_suite, needs_pg) -> None:
    result, report = run_suite("fastapi_pg_crossloop", "--loop-report")
    result.assert_outcomes(passed=1, failed=2)
    codes = codes_by_test(report)
    assert {"LR07", "LR01"} <= codes["test_health_again"]
    assert {"LR07", "LR01"} <= codes["test_chained"]
    result.stdout.fnmatch_lines(["*static rules that find the cause: LD501, LD106*"])


@pytest.mark.postgres
def test_fastapi_postgres_clean_suite_reports_nothing(run_suite, needs_pg) -> None:
    result, report = run_suite("fastapi_pg_clean")
    result.assert_outcomes(passed=3)
    assert all(not rec["findings"] for rec in report["tests"]), report["tests"]
