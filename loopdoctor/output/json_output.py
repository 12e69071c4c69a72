"""The JSON report: a stable, versioned contract other tools parse (``schema_version``)."""

from __future__ import annotations

import json
from typing import Any

from loopdoctor import __version__
from loopdoctor.diagnostic import FileError, Finding, Location
from loopdoctor.output import display_path

SCHEMA_VERSION = 1


def location_dict(location: Location) -> dict[str, Any]:
    return {
        "path": display_path(location.path),
        "line": location.line,
        "column": location.column,
        "end_line": location.end_line,
        "end_column": location.end_column,
    }


def finding_dict(finding: Finding) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.value,
        **location_dict(finding.location),
        "message": finding.message,
        "fix_available": finding.fix.value != "none",
        "fix_safety": finding.fix.value,
    }
    data["related"] = [{**location_dict(r.location), "message": r.message} for r in finding.related]
    return data


def error_dict(error: FileError) -> dict[str, Any]:
    return {"path": display_path(error.path), "message": error.reason}


def render_json(
    findings: list[Finding], errors: list[FileError], files: int, seconds: float
) -> str:
    payload = {
        "schema_version": SCHEMA_VERSION,
        "version": __version__,
        "findings": [finding_dict(f) for f in findings],
        "errors": [error_dict(e) for e in errors],
        "stats": {"files": files, "seconds": round(seconds, 4)},
    }
    return json.dumps(payload, indent=2)
