"""Which rules can fire on a file, decided from its bytes (and path) before it is parsed.

A rule's ``tokens`` are byte strings of which a file must contain at least one for the rule
to be able to report anything there (a necessary condition, never a matcher); ``requires``
adds further such conditions (``TEST_FILE``: a test module or conftest by name), and
``applies_to`` a decision from the path alone. Most tokens are static; a rule whose trigger
depends on the project overrides ``Rule.index_tokens``: LD301 fires on any call to a project
coroutine, so its tokens are the names of every project ``async def`` plus the known
coroutine APIs, read from the index once per run. A file on which no active rule can fire
is neither walked nor, in a cold run, indexed: only its syntax is checked (LD001).
"""

from __future__ import annotations

import re
from pathlib import Path

from loopdoctor.project import ProjectIndex
from loopdoctor.rule import TEST_FILE, Rule


class Prefilter:
    """Token tables for one run's base index (computed on first use, then shared)."""

    def __init__(self, project: ProjectIndex) -> None:
        self.project = project
        self._gates: dict[type[Rule], tuple[tuple[bytes, ...] | None, frozenset[bytes] | None]] = {}
        self._words_of: tuple[bytes, frozenset[bytes]] | None = None

    def gate(self, rule: type[Rule]) -> tuple[tuple[bytes, ...] | None, frozenset[bytes] | None]:
        """The rule's tokens (None: it may fire anywhere), and the same as a set of names when
        they come from the index and are all identifiers: thousands of coroutine names are
        then one set lookup per word of the file, not a search of the whole file per name."""
        found = self._gates.get(rule)
        if found is None:
            dynamic = rule.index_tokens(self.project)
            if dynamic is None:
                found = (tuple(rule.tokens) or None, None)
            else:
                names = frozenset(dynamic)
                identifiers = all(_WORD.fullmatch(n) for n in names)
                found = (tuple(dynamic), names if identifiers else None)
            self._gates[rule] = found
        return found

    def words(self, data: bytes) -> frozenset[bytes]:
        if self._words_of is None or self._words_of[0] is not data:
            self._words_of = (data, frozenset(_WORD.findall(data)))
        return self._words_of[1]

    def may_fire(self, rule: type[Rule], data: bytes, path: Path | None = None) -> bool:
        tokens, names = self.gate(rule)
        if names is not None:
            if names.isdisjoint(self.words(data)):
                return False
        elif tokens is not None and not any(token in data for token in tokens):
            return False
        for alternatives in rule.requires:
            if not any(self._holds(atom, data, path) for atom in alternatives):
                return False
        return path is None or rule.applies_to(path, self.project)

    def _holds(self, atom: bytes | str, data: bytes, path: Path | None) -> bool:
        if atom == TEST_FILE:
            return path is None or self.project.is_test_path(path)
        return isinstance(atom, bytes) and atom in data


#: An identifier in UTF-8 source: ASCII word characters and any non-ASCII byte.
_WORD = re.compile(rb"[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*")


def coroutine_call_tokens(project: ProjectIndex) -> tuple[bytes, ...]:
    """Names a coroutine call can be made by: project ``async def``s and known async APIs.

    Shortest first: the common short names decide most files after a few searches.
    """
    from loopdoctor.metadata.coroutines import _KNOWN_COROUTINE_NAMES

    names = set(project.coroutine_names) | set(_KNOWN_COROUTINE_NAMES)
    return tuple(n.encode() for n in sorted(names, key=lambda n: (len(n), n)))
