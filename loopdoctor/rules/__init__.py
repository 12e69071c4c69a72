"""Rule registry: every ``ldNNN_<slug>.py`` module here holds exactly one Rule subclass."""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import cache

from loopdoctor.rule import Rule

_MODULE_RE = re.compile(r"^ld(\d{3})_([a-z0-9_]+)$")


@cache
def all_rules() -> dict[str, type[Rule]]:
    """Code -> rule class, discovered from this package, sorted by code."""
    found: dict[str, type[Rule]] = {}
    for module_info in pkgutil.iter_modules(__path__):
        match = _MODULE_RE.match(module_info.name)
        if not match:
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        classes = [
            obj
            for obj in vars(module).values()
            if isinstance(obj, type)
            and issubclass(obj, Rule)
            and obj is not Rule
            and obj.__module__ == module.__name__
        ]
        if len(classes) != 1:
            raise TypeError(f"{module.__name__} must define exactly one Rule subclass")
        rule = classes[0]
        rule.check_metadata()
        expected = f"LD{match.group(1)}"
        if rule.code != expected or rule.name.replace("-", "_") != match.group(2):
            raise TypeError(f"{module.__name__}: file name does not match {rule.code} {rule.name}")
        found[rule.code] = rule
    return dict(sorted(found.items()))


def rule_by_code_or_name(key: str) -> type[Rule] | None:
    key = key.strip()
    for code, rule in all_rules().items():
        if key.upper() == code or key.lower() == rule.name:
            return rule
    return None
