"""Which rules run on which file: select / extend-select / ignore by prefix, per-file ignores."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from loopdoctor.rule import Rule
from loopdoctor.rules import all_rules


def _matches(code: str, prefixes: Iterable[str]) -> bool:
    return any(p == "ALL" or code.startswith(p) for p in prefixes)


@dataclass
class Selection:
    """The resolved set of active rules, plus per-file ignores (globs relative to ``root``)."""

    select: Sequence[str] | None = None
    extend_select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    per_file_ignores: dict[str, Sequence[str]] = field(default_factory=dict)
    root: Path = field(default_factory=Path.cwd)

    def __post_init__(self) -> None:
        rules = all_rules()
        active: dict[str, type[Rule]] = {}
        for code, rule in rules.items():
            if self.select is None:
                chosen = rule.default_enabled or code in self.extend_select
            else:
                chosen = self._explicit(rule, self.select)
            chosen = chosen or self._explicit(rule, self.extend_select)
            if chosen and not _matches(code, self.ignore):
                active[code] = rule
        self.active = active
        self._per_file_cache: dict[Path, list[type[Rule]]] = {}

    @staticmethod
    def _explicit(rule: type[Rule], prefixes: Sequence[str]) -> bool:
        """A prefix selects default rules; an opinion rule needs its exact code (or ALL)."""
        if rule.default_enabled:
            return _matches(rule.code, prefixes)
        return rule.code in prefixes or "ALL" in prefixes

    def ignored_for(self, path: Path) -> list[str]:
        if not self.per_file_ignores:
            return []
        try:
            rel = path.absolute().relative_to(self.root.absolute()).as_posix()
        except ValueError:
            rel = path.as_posix()
        codes: list[str] = []
        for pattern, ignored in self.per_file_ignores.items():
            if (
                fnmatch.fnmatch(rel, pattern)
                or fnmatch.fnmatch(path.name, pattern)
                or fnmatch.fnmatch(rel, pattern.rstrip("/") + "/*")
            ):
                codes.extend(ignored)
        return codes

    def rules_for(self, path: Path) -> list[type[Rule]]:
        cached = self._per_file_cache.get(path)
        if cached is None:
            ignored = self.ignored_for(path)
            cached = [r for code, r in self.active.items() if not _matches(code, ignored)]
            self._per_file_cache[path] = cached
        return cached

    def enabled_for(self, code: str, path: Path) -> bool:
        return code in self.active and not _matches(code, self.ignored_for(path))
