"""Shape of the hand review of real-world findings (benchmarks/realworld.py scores against it).

Nothing is downloaded here: the benchmark script is run by hand. This only checks that every
reviewed finding has a well-formed key, a verdict and a reason.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REVIEW = ROOT / "docs" / "realworld-review.json"
_KEY = re.compile(r"^[A-Za-z0-9_.-]+==[0-9][^|]*\|[^|]+\|[0-9]+\|LD[0-9]{3}$")


@functools.cache
def _review() -> dict[str, object]:
    doc = json.loads(REVIEW.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def test_review_has_findings_table() -> None:
    doc = _review()
    assert isinstance(doc.get("findings"), dict)
    assert isinstance(doc.get("packages"), list) and len(doc["packages"]) >= 5


def _problems(key: str, entry: object) -> list[str]:
    """What is wrong with one review entry (nothing when it is well formed)."""
    if not _KEY.match(key):
        return [f"bad key {key!r}: want 'name==version|path|line|LDnnn'"]
    if not isinstance(entry, dict):
        return [f"{key}: not an object"]
    out: list[str] = []
    if entry.get("verdict") not in ("tp", "fp"):
        out.append(f"{key}: verdict must be 'tp' or 'fp'")
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip() or "\n" in reason:
        out.append(f"{key}: needs a one-line reason")
    for alt in entry.get("by_message", []):
        if not (alt.get("contains") and alt.get("verdict") in ("tp", "fp") and alt.get("reason")):
            out.append(f"{key}: by_message entries need contains, verdict and reason")
    return out


def test_every_entry_has_verdict_and_reason() -> None:
    findings = _review()["findings"]
    assert isinstance(findings, dict) and findings
    problems = [p for key, entry in findings.items() for p in _problems(key, entry)]
    assert not problems, "\n".join(problems[:20])


def test_packages_are_pinned() -> None:
    for pkg in _review()["packages"]:  # type: ignore[union-attr]
        assert re.match(r"^[A-Za-z0-9_.-]+==[0-9]", pkg), pkg


@pytest.mark.skip(reason="downloads sdists: run `python benchmarks/realworld.py` by hand")
def test_realworld_benchmark() -> None:
    """Placeholder: the real-world run needs the package index and is not part of CI."""
