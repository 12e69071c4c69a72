"""``# noqa`` handling: blanket or with codes (``# noqa: LD301, LD401``), ruff-compatible."""

from __future__ import annotations

import re
from collections.abc import Iterable

from loopdoctor.diagnostic import Finding

_NOQA_RE = re.compile(
    r"#\s*noqa(?::\s*(?P<codes>[A-Za-z]+[0-9]+(?:\s*,?\s*[A-Za-z]+[0-9]+)*))?", re.IGNORECASE
)
_FILE_NOQA_RE = re.compile(r"^#\s*loopdoctor:\s*noqa\s*$", re.IGNORECASE | re.MULTILINE)

ALL = "*"


def noqa_map(text: str) -> dict[int, frozenset[str]]:
    """Line number -> suppressed codes (``{"*"}`` for a blanket ``# noqa``)."""
    result: dict[int, frozenset[str]] = {}
    if "noqa" not in text and "NOQA" not in text:
        return result
    for number, line in enumerate(text.splitlines(), start=1):
        if "#" not in line:
            continue
        match = _NOQA_RE.search(line)
        if match is None:
            continue
        codes = match.group("codes")
        if codes:
            result[number] = frozenset(c.upper() for c in re.findall(r"[A-Za-z]+[0-9]+", codes))
        else:
            result[number] = frozenset({ALL})
    return result


def file_is_exempt(text: str) -> bool:
    """A ``# loopdoctor: noqa`` line anywhere in the file turns every finding in it off."""
    return "loopdoctor" in text and _FILE_NOQA_RE.search(text) is not None


def is_suppressed(finding: Finding, noqa: dict[int, frozenset[str]]) -> bool:
    lines = {finding.location.line}
    if finding.statement_line is not None:
        lines.add(finding.statement_line)
    for line in lines:
        codes = noqa.get(line)
        if codes and (ALL in codes or finding.code in codes):
            return True
    return False


def filter_suppressed(findings: Iterable[Finding], text: str) -> list[Finding]:
    if file_is_exempt(text):
        return []
    noqa = noqa_map(text)
    if not noqa:
        return list(findings)
    return [f for f in findings if not is_suppressed(f, noqa)]
