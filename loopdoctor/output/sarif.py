"""SARIF 2.1.0: the format GitHub code scanning and most CI dashboards ingest.

One ``reportingDescriptor`` per rule code (all rules, not only those that fired, so a
dashboard can show a rule's help next to an old result), results pointing at
``%SRCROOT%``-relative URIs so the log stays valid when the checkout moves, related
locations for cross-file findings, and file errors as tool notifications.

Fixes: a finding whose rule has a fix gets one SARIF ``fix`` with the replacements of that
fix applied alone (``loopdoctor.output.fix_preview``), as character-offset regions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from loopdoctor import __version__
from loopdoctor.diagnostic import FileError, Finding, FixSafety, Location, Severity
from loopdoctor.output import display_path
from loopdoctor.output.fix_preview import ProposedFix, previews
from loopdoctor.rule import Rule

#: The docs site; rule pages live at ``{DOCS_BASE_URL}rules/LD301/``. The one place to change it.
DOCS_BASE_URL = "https://loopdoctor.readthedocs.io/en/latest/"
SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SRCROOT = "%SRCROOT%"

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_HEADING_RE = re.compile(r"^## (?P<title>.+?)\s*$", re.MULTILINE)


def rule_help_uri(code: str) -> str:
    """Where a rule's page is published (mkdocs ``use_directory_urls`` layout)."""
    return f"{DOCS_BASE_URL}rules/{code}/"


def page_sections(page: str) -> dict[str, str]:
    """A rule page split at its ``## `` headings (the fixed layout of convention 3)."""
    sections: dict[str, str] = {}
    matches = list(_HEADING_RE.finditer(page))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(page)
        sections[match.group("title")] = page[match.end() : end].strip()
    return sections


def _plain(markdown: str) -> str:
    """Markdown prose as plain text for ``text`` fields (viewers without Markdown show these)."""
    text = "\n".join(line for line in markdown.splitlines() if not line.startswith("```"))
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    return text.replace("`", "").replace("**", "")


#: GitHub code scanning documents 1024 characters as the maximum for a rule's descriptions.
DESCRIPTION_LIMIT = 1024


def bounded(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """Whole leading paragraphs of ``text`` that fit in ``limit`` (the full page is in help)."""
    if len(text) <= limit:
        return text
    kept = ""
    for paragraph in text.split("\n\n"):
        candidate = f"{kept}\n\n{paragraph}" if kept else paragraph
        if len(candidate) > limit - 2:
            break
        kept = candidate
    return (kept or text[: limit - 2].rstrip()) + " …"


def rule_descriptor(rule: type[Rule]) -> dict[str, Any]:
    """The ``reportingDescriptor`` of one rule class: names, help from its page, default level."""
    from loopdoctor.explain import rule_page

    page = rule_page(rule.code) or ""
    what = page_sections(page).get("What it does", "") or rule.summary
    descriptor: dict[str, Any] = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": bounded(_plain(what)), "markdown": bounded(what)},
        "helpUri": rule_help_uri(rule.code),
        "defaultConfiguration": {
            "level": _LEVEL[rule.severity],
            "enabled": bool(rule.default_enabled),
        },
        "properties": {"fix": rule.fix_safety.value, "tags": [rule.code[:3]]},
    }
    if page:
        descriptor["help"] = {"text": _plain(page), "markdown": page}
    return descriptor


def _artifact_location(path: Path, cwd: Path) -> dict[str, Any]:
    shown = display_path(path, cwd)
    if shown.startswith("/"):  # outside the working directory: an absolute file URI
        return {"uri": path.absolute().as_uri()}
    return {"uri": shown, "uriBaseId": SRCROOT}


def physical_location(location: Location, cwd: Path) -> dict[str, Any]:
    """A SARIF ``location``; columns are 1-based characters, the end column exclusive."""
    end_line = max(location.end_line, location.line)
    end_column = location.end_column
    if end_line == location.line and end_column < location.column:
        end_column = location.column
    return {
        "physicalLocation": {
            "artifactLocation": _artifact_location(location.path, cwd),
            "region": {
                "startLine": max(location.line, 1),
                "startColumn": max(location.column, 1),
                "endLine": max(end_line, 1),
                "endColumn": max(end_column, 1),
            },
        }
    }


_FIX_TEXT = {
    FixSafety.SAFE: "safe fix (applied by `loopdoctor check --fix`)",
    FixSafety.UNSAFE: "unsafe fix: may change behaviour (`loopdoctor check --fix --unsafe-fixes`)",
}


def fix_objects(finding: Finding, fix: ProposedFix | None, cwd: Path) -> list[dict[str, Any]]:
    """SARIF ``fix`` objects: the finding's fix as replacements of character ranges."""
    if fix is None or finding.fix is FixSafety.NONE:
        return []
    replacements = [
        {
            "deletedRegion": {"charOffset": offset, "charLength": length},
            "insertedContent": {"text": inserted},
        }
        for offset, length, inserted in fix.replacements()
    ]
    if not replacements:
        return []
    return [
        {
            "description": {"text": f"{finding.code} {finding.name}: {_FIX_TEXT[finding.fix]}"},
            "artifactChanges": [
                {
                    "artifactLocation": _artifact_location(fix.path, cwd),
                    "replacements": replacements,
                }
            ],
        }
    ]


def result_dict(
    finding: Finding, rule_index: dict[str, int], cwd: Path, fix: ProposedFix | None = None
) -> dict[str, Any]:
    """One SARIF ``result``."""
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "level": _LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": [physical_location(finding.location, cwd)],
    }
    if finding.code in rule_index:
        result["ruleIndex"] = rule_index[finding.code]
    if finding.related:
        result["relatedLocations"] = [
            {"id": i, **physical_location(r.location, cwd), "message": {"text": r.message}}
            for i, r in enumerate(finding.related, start=1)
        ]
    fixes = fix_objects(finding, fix, cwd)
    if fixes:
        result["fixes"] = fixes
    result["properties"] = {"name": finding.name, "fix": finding.fix.value}
    return result


def sarif_log(
    findings: list[Finding],
    errors: list[FileError],
    cwd: Path | None = None,
    overrides: Mapping[Path, bytes] | None = None,
) -> dict[str, Any]:
    """The whole SARIF log as a dict (tests validate this against the official schema).

    ``overrides`` gives the bytes of files not read from disk (stdin), for fix previews.
    """
    from loopdoctor.rules import all_rules

    cwd = (cwd or Path.cwd()).absolute()
    rules = list(all_rules().values())
    rule_index = {rule.code: i for i, rule in enumerate(rules)}
    fixes = previews(findings, overrides)
    notifications = [
        {
            "level": "error",
            "message": {"text": error.reason},
            "locations": [
                {"physicalLocation": {"artifactLocation": _artifact_location(error.path, cwd)}}
            ],
        }
        for error in errors
    ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "loopdoctor",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": DOCS_BASE_URL,
                "rules": [rule_descriptor(rule) for rule in rules],
            }
        },
        "originalUriBaseIds": {SRCROOT: {"uri": cwd.as_uri() + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": [result_dict(f, rule_index, cwd, fixes.get(i)) for i, f in enumerate(findings)],
        "invocations": [
            {
                "executionSuccessful": not any("internal error" in e.reason for e in errors),
                "toolExecutionNotifications": notifications,
            }
        ],
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render_sarif(
    findings: list[Finding],
    errors: list[FileError],
    cwd: Path | None = None,
    overrides: Mapping[Path, bytes] | None = None,
) -> str:
    """The SARIF log as indented JSON text."""
    return json.dumps(sarif_log(findings, errors, cwd, overrides), indent=2)
