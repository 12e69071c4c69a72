"""The fix a rule proposes for one finding, as text, for emitters (full diff, SARIF ``fixes``).

Emitters never decide: this asks the autofix module (``loopdoctor.fixing.fix_source``) to
apply exactly one finding's fix in memory and turns the before/after text into a diff or
into replacements. Only findings that declare a fix pay for it (libcst is loaded lazily).
If the autofix module is unavailable or the rule declines (its fix returns None when the
rewrite is not certain), there is simply no preview.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from loopdoctor.diagnostic import Finding, FixSafety


@dataclass(frozen=True)
class ProposedFix:
    """One finding's fix: the file's text before and after applying it alone."""

    path: Path
    safety: FixSafety
    before: str
    after: str

    def diff_lines(self, name: str, context: int = 1) -> list[str]:
        """A unified diff (without line terminators) of this fix alone."""
        return [
            line.rstrip("\n")
            for line in difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                fromfile=f"a/{name}",
                tofile=f"b/{name}",
                n=context,
            )
        ]

    def replacements(self) -> list[tuple[int, int, str]]:
        """(character offset, deleted length, inserted text) per changed run of lines."""
        old = self.before.splitlines(keepends=True)
        new = self.after.splitlines(keepends=True)
        starts = [0]
        for line in old:
            starts.append(starts[-1] + len(line))
        result = []
        matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag != "equal":
                result.append((starts[i1], starts[i2] - starts[i1], "".join(new[j1:j2])))
        return result


def proposed_fix(finding: Finding, data: bytes | None = None) -> ProposedFix | None:
    """The fix of ``finding`` applied alone to its file (or to ``data``), or None."""
    if finding.fix is FixSafety.NONE:
        return None
    try:
        from loopdoctor.fixing import fix_source
        from loopdoctor.rules import all_rules
        from loopdoctor.source import UnreadableSource, decode_source, read_source
    except ImportError:  # the autofix module is optional for emitters
        return None
    path = finding.location.path
    try:
        source = read_source(path) if data is None else decode_source(path, data)
        fixed, applied, _notes = fix_source(path, source.data, [finding], all_rules())
        if fixed is None or not applied:
            return None
        after = decode_source(path, fixed).text
    except (UnreadableSource, OSError, ValueError):
        return None
    except Exception:  # a preview must never break the report itself
        return None
    if after == source.text:
        return None
    return ProposedFix(path, finding.fix, source.text, after)


def previews(
    findings: list[Finding], overrides: Mapping[Path, bytes] | None = None
) -> dict[int, ProposedFix]:
    """Proposed fixes by the index of the finding in ``findings`` (only those that have one)."""
    absolute = {p.absolute(): data for p, data in (overrides or {}).items()}
    result: dict[int, ProposedFix] = {}
    for i, finding in enumerate(findings):
        if finding.fix is FixSafety.NONE:
            continue
        fix = proposed_fix(finding, absolute.get(finding.location.path.absolute()))
        if fix is not None:
            result[i] = fix
    return result
