"""Which rules can fire on a file, decided from its bytes before any tree is walked.

A rule's ``tokens`` are byte strings of which a file must contain at least one for the rule
to be able to report anything there (a necessary condition, never a matcher). Most are
static; a rule whose trigger depends on the project overrides ``Rule.index_tokens``: LD301
fires on any call to a project coroutine, so its tokens are the names of every project
``async def`` plus the known coroutine APIs, read from the index once per run. A file on
which no active rule can fire is not walked at all.
"""

from __future__ import annotations

from loopdoctor.project import ProjectIndex
from loopdoctor.rule import Rule


class Prefilter:
    """Token tables for one run's base index (computed on first use, then shared)."""

    def __init__(self, project: ProjectIndex) -> None:
        self.project = project
        self._tokens: dict[type[Rule], tuple[bytes, ...] | None] = {}

    def tokens(self, rule: type[Rule]) -> tuple[bytes, ...] | None:
        """The rule's tokens; None means the rule may fire anywhere."""
        if rule not in self._tokens:
            dynamic = rule.index_tokens(self.project)
            self._tokens[rule] = tuple(rule.tokens) or None if dynamic is None else tuple(dynamic)
        return self._tokens[rule]

    def may_fire(self, rule: type[Rule], data: bytes) -> bool:
        tokens = self.tokens(rule)
        return tokens is None or any(token in data for token in tokens)


def coroutine_call_tokens(project: ProjectIndex) -> tuple[bytes, ...]:
    """Names a coroutine call can be made by: project ``async def``s and known async APIs.

    Shortest first: the common short names decide most files after a few searches.
    """
    from loopdoctor.metadata.coroutines import _KNOWN_COROUTINE_NAMES

    names = set(project.coroutine_names) | set(_KNOWN_COROUTINE_NAMES)
    return tuple(n.encode() for n in sorted(names, key=lambda n: (len(n), n)))
