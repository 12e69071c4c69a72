"""``--output-format full``: each finding with its source frame, the span underlined.

Modelled on ruff's and rustc's full output: a header line, ``-->`` with the location,
numbered context lines, ``^`` under the offending span, then every related location with
its own smaller frame (the root cause in a conftest is worth seeing, not only naming).
Rendered as rich ``Text`` on an injected console so tests pin the width and colour.
A finding whose rule has a fix shows it as a unified diff of that fix alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from rich.console import Console
from rich.text import Text

from loopdoctor.diagnostic import FileError, Finding, FixSafety, Location, Severity
from loopdoctor.output import display_path
from loopdoctor.output.fix_preview import ProposedFix, previews
from loopdoctor.output.text import error_line

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold cyan"}
#: Lines shown before and after the span; spans longer than MAX_SPAN_LINES are elided.
CONTEXT_LINES = 2
MAX_SPAN_LINES = 6
TAB_WIDTH = 4


class SourceCache:
    """Source lines by path, read once; ``overrides`` supplies bytes not on disk (stdin)."""

    def __init__(self, overrides: Mapping[Path, bytes] | None = None) -> None:
        from loopdoctor.source import UnreadableSource, decode_source

        self._lines: dict[Path, list[str] | None] = {}
        for path, data in (overrides or {}).items():
            try:
                self._lines[path.absolute()] = decode_source(path, data).text.splitlines()
            except UnreadableSource:
                self._lines[path.absolute()] = None

    def lines(self, path: Path) -> list[str] | None:
        """The file's lines, decoded like the checker did; None when it cannot be read."""
        key = path.absolute()
        if key not in self._lines:
            from loopdoctor.source import UnreadableSource, read_source

            try:
                self._lines[key] = read_source(key).text.splitlines()
            except UnreadableSource:
                self._lines[key] = None
        return self._lines[key]


def _display_width(text: str) -> int:
    return len(text.expandtabs(TAB_WIDTH))


def _caret_range(location: Location, number: int, line: str) -> tuple[int, int]:
    """Display columns [start, end) to underline on source line ``number`` of the span."""
    stripped_start = len(line) - len(line.lstrip())
    start = location.column - 1 if number == location.line else stripped_start
    end = location.end_column - 1 if number == location.end_line else len(line.rstrip())
    start = max(0, min(start, len(line)))
    end = max(start + 1, min(end, max(len(line), start + 1)))
    return _display_width(line[:start]), _display_width(line[:end])


def source_frame(location: Location, lines: list[str], style: str, indent: str = "") -> Text:
    """Numbered lines around ``location`` with ``^`` under the span (elided when long)."""
    first = max(1, location.line - CONTEXT_LINES)
    span_end = min(max(location.end_line, location.line), len(lines))
    last = min(len(lines), span_end + CONTEXT_LINES)
    gutter = len(str(last))
    shown: list[int] = []
    for number in range(first, last + 1):
        in_span = location.line <= number <= span_end
        if in_span and MAX_SPAN_LINES < number - location.line < span_end - location.line:
            if not shown or shown[-1] != -1:
                shown.append(-1)
            continue
        shown.append(number)
    frame = Text()
    frame.append(f"{indent}{' ' * gutter} |\n", style="blue")
    for number in shown:
        if number == -1:
            frame.append(f"{indent}{'.' * gutter} |  ...\n", style="blue")
            continue
        line = lines[number - 1]
        frame.append(f"{indent}{number:>{gutter}} |", style="blue")
        shown_line = line.expandtabs(TAB_WIDTH).rstrip()
        frame.append((" " + shown_line if shown_line else "") + "\n")
        if location.line <= number <= span_end:
            start, end = _caret_range(location, number, line)
            frame.append(f"{indent}{' ' * gutter} | ", style="blue")
            frame.append(" " * start + "^" * (end - start) + "\n", style=style)
    frame.append(f"{indent}{' ' * gutter} |", style="blue")
    return frame


def _where(location: Location) -> str:
    return f"{display_path(location.path)}:{location.line}:{location.column}"


_APPLY = {
    FixSafety.SAFE: "apply with `loopdoctor check --fix`",
    FixSafety.UNSAFE: "may change behaviour; apply with `loopdoctor check --fix --unsafe-fixes`",
}


def fix_diff(fix: ProposedFix) -> Text:
    """The fix as a unified diff, indented under the finding, + and - lines coloured."""
    text = Text()
    for line in fix.diff_lines(display_path(fix.path)):
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else ""
        if line.startswith("@@"):
            style = "cyan"
        text.append("    " + line + "\n", style=style)
    return text


def finding_block(finding: Finding, sources: SourceCache, fix: ProposedFix | None = None) -> Text:
    """The full rendering of one finding (no trailing newline)."""
    style = _STYLE[finding.severity]
    block = Text()
    block.append(f"{finding.severity.value}[{finding.code}]", style=style)
    block.append(f" {finding.name}: ", style="bold")
    block.append(finding.message + "\n")
    block.append("  --> ", style="blue")
    block.append(_where(finding.location) + "\n")
    lines = sources.lines(finding.location.path)
    if lines:
        block.append_text(source_frame(finding.location, lines, style))
        block.append("\n")
    for related in finding.related:
        block.append("  = note: ", style="bold")
        block.append(f"{_where(related.location)}: {related.message}\n")
        related_lines = sources.lines(related.location.path)
        if related_lines:
            block.append_text(source_frame(related.location, related_lines, "bold blue", "    "))
            block.append("\n")
    if finding.fix is not FixSafety.NONE:
        block.append(f"  = fix ({finding.fix.value}): ", style="bold")
        block.append(_APPLY[finding.fix] + "\n")
        if fix is not None:
            block.append_text(fix_diff(fix))
    block.append("  = help: ", style="bold")
    block.append(f"loopdoctor explain {finding.code}")
    return block


def render_full(
    console: Console,
    findings: list[Finding],
    errors: list[FileError],
    overrides: Mapping[Path, bytes] | None = None,
) -> None:
    """Print every finding's block, a blank line between them, then the file errors."""
    sources = SourceCache(overrides)
    fixes = previews(findings, overrides)
    for i, finding in enumerate(findings):
        if i:
            console.print()
        block = finding_block(finding, sources, fixes.get(i))
        console.print(block, soft_wrap=True, highlight=False)
    for error in errors:
        console.print(error_line(error), soft_wrap=True, highlight=False)
