"""`loopdoctor report REPORT.json`: re-render a saved runtime report.

Also the two helpers `check --runtime-report` uses to rank static findings by
how many runtime findings point at their rule.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from loopdoctor.pytest_plugin.record import check_report
from loopdoctor.pytest_plugin.summary import render


class RuntimeReportError(ValueError):
    """The file is not a loopdoctor runtime report this version understands."""


def load_runtime_report(path: str | Path) -> dict[str, Any]:
    """Read and shape-check a report written by ``pytest --loop-report-json``."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RuntimeReportError(f"{path}: cannot read runtime report: {exc}") from exc
    problems = check_report(data)
    if problems:
        raise RuntimeReportError(f"{path}: not a loopdoctor runtime report: {problems[0]}")
    return data


def rule_codes_pointed_to(report: dict[str, Any]) -> dict[str, int]:
    """Static rule code (LDxxx) -> number of runtime findings that point at it."""
    counts: dict[str, int] = {}
    findings: list[dict[str, Any]] = []
    for rec in report.get("tests", []):
        findings.extend(rec.get("findings", []))
    findings.extend(report.get("session", {}).get("findings", []))
    for item in findings:
        for code in item.get("rules", []) or []:
            if isinstance(code, str) and code.startswith("LD"):
                counts[code] = counts.get(code, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


@click.command("report")
@click.argument("report_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--top", default=10, show_default=True, help="Rows shown per table.")
def report_command(report_path: str, top: int) -> None:
    """Render a runtime report saved by `pytest --loop-report-json=REPORT.json`."""
    try:
        report = load_runtime_report(report_path)
    except RuntimeReportError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"loopdoctor runtime report: {report_path}")
    for line in render(report, top=max(1, top)):
        click.echo(line)
    pointed = rule_codes_pointed_to(report)
    if pointed:
        click.echo("")
        click.echo("static rules pointed to by runtime findings:")
        for code, count in pointed.items():
            click.echo(f"  {code}  {count}  (loopdoctor explain {code})")
