"""The registry, the rule pages and the corpus agree on the set of codes."""

from __future__ import annotations

import re
from pathlib import Path

from loopdoctor.rules import all_rules

ROOT = Path(__file__).resolve().parent.parent
ANNOTATION = re.compile(r"error(?:\[[a-z]+\])?: *[0-9]* *\[([^\]]+)\]")
CATALOG = ROOT.parent / "shared" / "spec" / "rule-catalog.md"


def corpus_codes() -> set[str]:
    codes: set[str] = set()
    for path in (ROOT / "fixtures_corpus").rglob("*"):
        if path.is_file() and path.suffix in (".py", ".toml", ".ini", ".cfg"):
            for match in ANNOTATION.finditer(path.read_text(encoding="utf-8", errors="replace")):
                codes.update(c.strip() for c in match.group(1).split(","))
    return codes


def test_every_rule_has_a_page_and_every_page_a_rule() -> None:
    pages = {p.stem for p in (ROOT / "rules").glob("LD*.md")}
    assert pages == set(all_rules())


def test_every_rule_has_an_annotated_corpus_case() -> None:
    missing = set(all_rules()) - corpus_codes()
    assert not missing, f"no corpus case for {sorted(missing)}"


def test_every_annotation_names_a_rule() -> None:
    unknown = corpus_codes() - set(all_rules())
    assert not unknown, f"corpus annotates unknown codes {sorted(unknown)}"


def test_codes_and_slugs_match_the_catalog() -> None:
    if not CATALOG.exists():
        import pytest

        pytest.skip("the shared rule catalog is not beside the repo")
    text = CATALOG.read_text(encoding="utf-8")
    catalog = dict(re.findall(r"^\| (LD\d{3}) \| ([a-z0-9-]+) \|", text, flags=re.MULTILINE))
    for code, rule in all_rules().items():
        if code == "LD001":
            continue
        assert catalog.get(code) == rule.name, f"{code} is {catalog.get(code)} in the catalog"
