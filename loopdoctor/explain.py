"""Find and render ``rules/<CODE>.md``, from an installed wheel or from a checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from loopdoctor.rules import rule_by_code_or_name


def rule_page(key: str) -> str | None:
    """The Markdown page for a code (``LD301``) or slug (``missing-await``), or None."""
    rule = rule_by_code_or_name(key)
    if rule is None:
        return None
    name = f"{rule.code}.md"
    try:  # installed wheel: rules/ is force-included as loopdoctor/_rule_docs/
        page = resources.files("loopdoctor").joinpath("_rule_docs", name)
        if page.is_file():
            return page.read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError, NotADirectoryError):
        pass
    checkout = Path(__file__).resolve().parent.parent / "rules" / name
    if checkout.is_file():
        return checkout.read_text(encoding="utf-8")
    return None
