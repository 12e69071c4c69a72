"""The versioned runtime report: plain dicts shared by the plugin and the CLI.

Kept free of pytest imports so ``loopdoctor report`` and ``check
--runtime-report`` can read a saved report without loading the plugin.
"""

from __future__ import annotations

from typing import Any

SCHEMA_VERSION = 1

CODES: dict[str, str] = {
    "LR01": "loop-identity",
    "LR02": "leaked-task",
    "LR03": "memory-growth",
    "LR04": "never-awaited",
    "LR05": "leaked-resource",
    "LR06": "slow-callback",
    "LR07": "loop-error-diagnosis",
}

OUTCOMES = ("passed", "failed", "error", "skipped")


def new_record(nodeid: str) -> dict[str, Any]:
    """An empty per-test record; every key of the JSON contract is present."""
    return {
        "nodeid": nodeid,
        "outcome": "passed",
        "loops": {"setup": [], "call": [], "teardown": [], "threads": [], "fixtures": {}},
        "rss_delta": 0,
        "findings": [],
    }


def finding(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """One finding: a code from CODES, a one-line message, kind-specific facts."""
    item: dict[str, Any] = {"code": code, "name": CODES.get(code, ""), "message": message}
    item.update(extra)
    return item


def outcome_of(phases: dict[str, str]) -> str:
    """Map pytest's per-phase outcomes to passed|failed|error|skipped."""
    if phases.get("setup") == "failed" or phases.get("teardown") == "failed":
        return "error"
    if phases.get("call") == "failed":
        return "failed"
    if "skipped" in phases.values():
        return "skipped"
    return "passed"


def build_report(records: list[dict[str, Any]], session: dict[str, Any]) -> dict[str, Any]:
    """The top-level JSON document."""
    return {"schema_version": SCHEMA_VERSION, "tests": records, "session": session}


def count_by_code(report: dict[str, Any]) -> dict[str, int]:
    """Number of findings per LR code over all tests and the session."""
    counts: dict[str, int] = {}
    for rec in report.get("tests", []):
        for item in rec.get("findings", []):
            counts[item.get("code", "?")] = counts.get(item.get("code", "?"), 0) + 1
    for item in report.get("session", {}).get("findings", []):
        counts[item.get("code", "?")] = counts.get(item.get("code", "?"), 0) + 1
    return dict(sorted(counts.items()))


def check_report(report: Any) -> list[str]:
    """Problems with a loaded report's shape (empty when it follows the contract)."""
    problems: list[str] = []
    if not isinstance(report, dict):
        return ["report is not a JSON object"]
    if report.get("schema_version") != SCHEMA_VERSION:
        problems.append(f"unsupported schema_version {report.get('schema_version')!r}")
    tests = report.get("tests")
    if not isinstance(tests, list):
        problems.append("'tests' is not a list")
        tests = []
    for i, rec in enumerate(tests):
        for key in ("nodeid", "outcome", "loops", "rss_delta", "findings"):
            if not isinstance(rec, dict) or key not in rec:
                problems.append(f"tests[{i}] lacks {key!r}")
                break
    if not isinstance(report.get("session"), dict):
        problems.append("'session' is not an object")
    return problems


def format_size(num: float) -> str:
    """Signed binary size, e.g. ``+40.0MiB`` (stdlib only: the HTML writer shares it)."""
    sign = "-" if num < 0 else "+"
    size = abs(float(num))
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{sign}{size:.0f}{unit}" if unit == "B" else f"{sign}{size:.1f}{unit}"
        size /= 1024
    return f"{sign}{size:.1f}GiB"  # pragma: no cover
