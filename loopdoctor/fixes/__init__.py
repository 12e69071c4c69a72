"""What a rule's ``fix`` works with: the located site, edits, and import and keyword helpers."""

from loopdoctor.fixes.imports import ImportNeed
from loopdoctor.fixes.site import (
    Edit,
    FixSite,
    add_keyword,
    expression,
    has_star_args,
    keyword,
    keyword_arg,
)

__all__ = [
    "Edit",
    "FixSite",
    "ImportNeed",
    "add_keyword",
    "expression",
    "has_star_args",
    "keyword",
    "keyword_arg",
]
