"""Helpers for the runtime-doctor tests: run a corpus suite in a pytester sandbox."""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "fixtures_corpus" / "runtime"

Run = Callable[..., tuple[pytest.RunResult, dict[str, Any] | None]]


def pg_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def needs_pg() -> None:
    """Skip without PostgreSQL, except under CI=true where that is a failure."""
    if pg_reachable():
        return
    reason = "PostgreSQL not reachable at 127.0.0.1:5432"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason + " (CI=true)")
    pytest.skip(reason)


@pytest.fixture
def run_suite(pytester: pytest.Pytester) -> Run:
    """Copy fixtures_corpus/runtime/<name> into the sandbox and run it in a subprocess."""

    def _run(name: str, *args: str, report: bool = True) -> tuple[pytest.RunResult, Any]:
        src = CORPUS / name
        for entry in src.iterdir():
            if entry.name in ("__pycache__", ".pytest_cache"):
                continue
            if entry.is_dir():
                shutil.copytree(entry, pytester.path / entry.name, dirs_exist_ok=True)
            else:
                shutil.copy(entry, pytester.path / entry.name)
        path = pytester.path / "loop-report.json"
        extra = [f"--loop-report-json={path}"] if report else []
        # Corpus suites are order-dependent by design (cascades): never shuffle them.
        result = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "-p", "no:randomly", *extra, *args
        )
        data = json.loads(path.read_text()) if path.exists() else None
        return result, data

    return _run


def codes_by_test(report: dict[str, Any]) -> dict[str, set[str]]:
    """Test name (last nodeid part) -> set of finding codes."""
    out: dict[str, set[str]] = {}
    for rec in report["tests"]:
        out[rec["nodeid"].split("::")[-1]] = {f["code"] for f in rec["findings"]}
    return out


def findings_of(report: dict[str, Any], test: str, code: str) -> list[dict[str, Any]]:
    for rec in report["tests"]:
        if rec["nodeid"].split("::")[-1] == test:
            return [f for f in rec["findings"] if f["code"] == code]
    raise AssertionError(f"no record for {test}")
