"""Unit tests: sizes, diagnosis matching, the CLI-side report helpers."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from loopdoctor.cli_report import (
    RuntimeReportError,
    load_runtime_report,
    report_command,
    rule_codes_pointed_to,
)
from loopdoctor.pytest_plugin import diagnosis
from loopdoctor.pytest_plugin.options import format_size, parse_size
from loopdoctor.pytest_plugin.record import build_report, finding, new_record, outcome_of


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5MiB", 5 * 1024**2), ("500KB", 500_000), ("1024", 1024), ("1.5 GiB", 3 * 1024**3 // 2)],
)
def test_parse_size(text: str, expected: int) -> None:
    assert parse_size(text) == expected


def test_parse_size_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        parse_size("lots")


def test_format_size() -> None:
    assert format_size(40 * 1024**2) == "+40.0MiB"
    assert format_size(-512) == "-512B"


@pytest.mark.parametrize(
    ("message", "rules"),
    [
        (
            "Task <Task pending> got Future <Future pending> attached to a different loop",
            ["LD501", "LD106"],
        ),
        ("cannot perform operation: another operation is in progress", ["LD605", "LD501", "LD506"]),
        ("greenlet_spawn has not been called; can't call await_only() here.", ["LD505"]),
        ("Event loop is closed", ["LD106", "LD501", "LD101"]),
        (
            "This session is provisioning a new connection; "
            "concurrent operations are not permitted",
            ["LD506"],
        ),
        (
            "Method 'close()' can't be called here; method '_connection_for_bind()' is already",
            ["LD506"],
        ),
        ("<Queue at 0x1 maxsize=1> is bound to a different event loop", ["LD501", "LD106"]),
        ("Task was destroyed but it is pending!", ["LD303"]),
        (
            "ScopeMismatch: You tried to access the function scoped fixture "
            "_function_scoped_runner with a session scoped request object.",
            ["LD106", "LD107"],
        ),
        ("fixture 'event_loop' not found", ["LD102", "LD101"]),
        ("async def functions are not natively supported.", ["LD201"]),
        ("'test_value' requested an async fixture 'value', with no plugin", ["LD202", "LD204"]),
    ],
)
def test_symptoms_map_to_static_rules(message: str, rules: list[str]) -> None:
    found = diagnosis.match(RuntimeError(message))
    assert diagnosis.ordered_rules(found) == rules


def test_symptom_found_in_chained_cause() -> None:
    try:
        try:
            raise RuntimeError("Event loop is closed")
        except RuntimeError as inner:
            raise ValueError("wrapper") from inner
    except ValueError as outer:
        found = diagnosis.match(outer)
    assert [s.core for s, _line in found] == ["Event loop is closed"]


def test_unrelated_error_is_not_diagnosed() -> None:
    assert diagnosis.match(AssertionError("assert 1 == 2")) == []


def test_outcome_mapping() -> None:
    assert outcome_of({"setup": "passed", "call": "failed", "teardown": "passed"}) == "failed"
    assert outcome_of({"setup": "failed", "teardown": "passed"}) == "error"
    assert outcome_of({"setup": "passed", "call": "passed", "teardown": "failed"}) == "error"
    assert outcome_of({"setup": "skipped", "teardown": "passed"}) == "skipped"
    assert outcome_of({"setup": "passed", "call": "passed", "teardown": "passed"}) == "passed"


def _sample(tmp_path):
    rec = new_record("tests/test_x.py::test_y")
    rec["findings"].append(finding("LR07", "attached", rules=["LD501", "LD106"]))
    rec["findings"].append(finding("LR02", "leak", rules=["LD303"]))
    other = new_record("tests/test_x.py::test_z")
    other["findings"].append(finding("LR07", "closed", rules=["LD501"]))
    report = build_report([rec, other], {"findings": [], "internal_errors": []})
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    return path


def test_load_and_rank(tmp_path) -> None:
    report = load_runtime_report(_sample(tmp_path))
    assert rule_codes_pointed_to(report) == {"LD501": 2, "LD106": 1, "LD303": 1}


def test_load_rejects_other_json(tmp_path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"schema_version": 99}')
    with pytest.raises(RuntimeReportError):
        load_runtime_report(path)


def test_report_command_renders(tmp_path) -> None:
    result = CliRunner().invoke(report_command, [str(_sample(tmp_path)), "--top", "5"])
    assert result.exit_code == 0, result.output
    assert "LR02 leaked-task" in result.output
    assert "tests/test_x.py::test_y" in result.output
    assert "LD501  2" in result.output
