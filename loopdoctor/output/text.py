"""Concise text: ``path:line:col: CODE [slug] message``, related places indented below."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.text import Text

from loopdoctor.diagnostic import FileError, Finding, Severity
from loopdoctor.output import display_path

_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def finding_line(finding: Finding) -> Text:
    loc = finding.location
    text = Text()
    text.append(f"{display_path(loc.path)}:{loc.line}:{loc.column}:", style="bold")
    text.append(" ")
    text.append(finding.code, style=_SEVERITY_STYLE[finding.severity])
    text.append(f" [{finding.name}] ", style="dim")
    text.append(finding.message)
    return text


def render_text(console: Console, findings: list[Finding], errors: list[FileError]) -> None:
    for finding in findings:
        console.print(finding_line(finding), soft_wrap=True, highlight=False)
        for related in finding.related:
            loc = related.location
            line = Text("    ")
            line.append(f"{display_path(loc.path)}:{loc.line}:{loc.column}:", style="dim")
            line.append(f" note: {related.message}")
            console.print(line, soft_wrap=True, highlight=False)
    for error in errors:
        console.print(error_line(error), soft_wrap=True, highlight=False)


def error_line(error: FileError) -> Text:
    """``path: error: reason`` for a file that could not be checked (text and full formats)."""
    line = Text()
    line.append(f"{display_path(error.path)}: ", style="bold")
    line.append("error: ", style="bold red")
    line.append(error.reason)
    return line


def render_statistics(console: Console, findings: list[Finding]) -> None:
    counts = Counter((f.code, f.name) for f in findings)
    for (code, name), count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        console.print(Text(f"{count:>5}  {code}  {name}"), highlight=False)


def summary_line(
    findings: list[Finding], errors: list[FileError], files: int, seconds: float
) -> str:
    noun = "file" if files == 1 else "files"
    if not findings and not errors:
        return f"All checks passed ({files} {noun} in {seconds:.2f}s)."
    parts = []
    if findings:
        fixable = sum(1 for f in findings if f.fix.value != "none")
        parts.append(f"Found {len(findings)} finding{'s' if len(findings) != 1 else ''}")
        if fixable:
            parts.append(f"{fixable} fixable")
    if errors:
        parts.append(f"{len(errors)} file error{'s' if len(errors) != 1 else ''}")
    return f"{', '.join(parts)} ({files} {noun} in {seconds:.2f}s)."
