"""Shape of the hand review of real-world findings (benchmarks/realworld.py scores against it).

Nothing is downloaded here: the benchmark script is run by hand. This only checks that every
reviewed finding has a well-formed key, a verdict and a reason.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REVIEW = ROOT / "docs" / "realworld-review.json"
_KEY = re.compile(r"^[A-Za-z0-9_.-]+==[0-9][^|]*\|[^|]+\|[0-9]+\|LD[0-9]{3}$")


def _review() -> dict[str, object]:
    doc = json.loads(REVIEW.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def test_review_has_findings_table() -> None:
    doc = _review()
    assert isinstance(doc.get("findings"), dict)
    assert isinstance(doc.get("packages"), list) and len(doc["packages"]) >= 5


@pytest.mark.parametrize("key", sorted(_review()["findings"]))  # type: ignore[arg-type]
def test_every_entry_has_verdict_and_reason(key: str) -> None:
    entry = _review()["findings"][key]  # type: ignore[index]
    assert _KEY.match(key), f"bad key {key!r}: want 'name==version|path|line|LDnnn'"
    assert isinstance(entry, dict)
    assert entry.get("verdict") in ("tp", "fp"), key
    reason = entry.get("reason")
    assert isinstance(reason, str) and reason.strip(), key
    assert "\n" not in reason, f"{key}: the reason is one line"


def test_packages_are_pinned() -> None:
    for pkg in _review()["packages"]:  # type: ignore[union-attr]
        assert re.match(r"^[A-Za-z0-9_.-]+==[0-9]", pkg), pkg


@pytest.mark.skip(reason="downloads sdists: run `python benchmarks/realworld.py` by hand")
def test_realworld_benchmark() -> None:
    """Placeholder: the real-world run needs the package index and is not part of CI."""
