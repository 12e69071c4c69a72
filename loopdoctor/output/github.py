"""GitHub Actions workflow commands: each finding becomes a pull-request annotation.

``::error file=app/db.py,line=7,col=10,endLine=7,endColumn=30,title=LD501 pooled-...::message``.
The runner parses these lines from stdout, so escaping follows GitHub's toolkit
(``@actions/core`` ``command.ts``): ``%``, ``\\r`` and ``\\n`` everywhere, plus ``:`` and
``,`` inside property values, which would otherwise end the property early.
"""

from __future__ import annotations

from loopdoctor.diagnostic import FileError, Finding, Severity
from loopdoctor.output import display_path

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
#: GitHub shows at most this many annotations of each kind per step (actions/toolkit docs,
#: "problem-matchers.md"); the rest stay in the log only, so we say so in a final notice.
ANNOTATIONS_PER_KIND = 10


def escape_data(value: str) -> str:
    """Escape a command's message (the part after ``::``)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a property value (``file=...``): the data escapes plus ``:`` and ``,``."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def _command(kind: str, properties: dict[str, object], message: str) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{kind} {props}::{escape_data(message)}"


def finding_command(finding: Finding) -> str:
    """One workflow command; related places are appended to the message (annotations are flat)."""
    loc = finding.location
    message = finding.message
    for related in finding.related:
        rl = related.location
        message += f"\n{display_path(rl.path)}:{rl.line}:{rl.column}: note: {related.message}"
    properties: dict[str, object] = {
        "file": display_path(loc.path),
        "line": loc.line,
        "col": loc.column,
        "endLine": max(loc.end_line, loc.line),
        "endColumn": loc.end_column,
        "title": f"{finding.code} {finding.name}",
    }
    return _command(_COMMAND[finding.severity], properties, message)


def render_github(findings: list[Finding], errors: list[FileError]) -> str:
    """All findings, then file errors (as ``::error file=...::``), one command per line.

    When a kind exceeds what GitHub displays per step, a last ``::notice`` says how many
    annotations were emitted, so a reader knows to look at the log (or the SARIF upload).
    """
    lines = [finding_command(f) for f in findings]
    lines.extend(
        _command("error", {"file": display_path(e.path), "title": "loopdoctor"}, e.reason)
        for e in errors
    )
    counts = {kind: 0 for kind in ("error", "warning", "notice")}
    for finding in findings:
        counts[_COMMAND[finding.severity]] += 1
    counts["error"] += len(errors)
    over = {kind: n for kind, n in counts.items() if n > ANNOTATIONS_PER_KIND}
    if over:
        listed = ", ".join(f"{n} {kind}s" for kind, n in over.items())
        lines.append(
            _command(
                "notice",
                {"title": "loopdoctor"},
                f"{listed} reported; GitHub shows only the first {ANNOTATIONS_PER_KIND} "
                "annotations of each kind per step. Every finding is in this step's log.",
            )
        )
    return "\n".join(lines)
