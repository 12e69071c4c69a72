"""The Rule base class: metadata, the ``ast`` visit methods it implements, and ``report``.

A rule subclass lives in ``loopdoctor/rules/ldNNN_<slug>.py`` and is discovered automatically.
It implements ``visit_<NodeType>(node)`` for the ``ast`` node types it cares about and optionally
``finish()``; the engine walks each file once and dispatches every node to every active rule.
Rules are pure: facts about other files come from ``self.ctx.project``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from loopdoctor.diagnostic import Finding, FixSafety, Related, Severity

if TYPE_CHECKING:
    from loopdoctor.context import FileContext
    from loopdoctor.fixes import Edit, FixSite
    from loopdoctor.project import ProjectIndex

CODE_RE = re.compile(r"^LD\d{3}$")


#: A ``Rule.requires`` alternative: the file is a test module or a conftest (by its name).
TEST_FILE = "test file"


class Rule:
    """One code, one pattern. Subclasses set the class attributes and visit methods."""

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity] = Severity.ERROR
    summary: ClassVar[str] = ""
    fix_safety: ClassVar[FixSafety] = FixSafety.NONE
    default_enabled: ClassVar[bool] = True
    #: The file must contain at least one of these byte strings for the rule to be able to fire.
    #: Empty means "always run". A cheap pre-filter, not a matcher.
    tokens: ClassVar[tuple[bytes, ...]] = ()
    #: Further conditions, all of which must hold: each is a tuple of alternatives, a byte
    #: string the file must contain or ``TEST_FILE`` (a test module or conftest by its name).
    requires: ClassVar[tuple[tuple[bytes | str, ...], ...]] = ()
    #: What ``index_tokens``/``applies_to`` read of the project, as cache facets
    #: (``loopdoctor.incremental``): ("coro",) for the names of all ``async def``s.
    prefilter_facets: ClassVar[tuple[tuple[str, ...], ...]] = ()

    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self.findings: list[Finding] = []

    def finish(self) -> None:
        """Called after the whole file was visited; for rules that decide at the end."""

    @classmethod
    def index_tokens(cls, project: ProjectIndex) -> tuple[bytes, ...] | None:
        """Tokens that depend on the project (e.g. its coroutine names); None: use ``tokens``.

        Computed once per run from the index, before any file is walked (loopdoctor.prefilter).
        """
        return None

    @classmethod
    def applies_to(cls, path: Path, project: ProjectIndex) -> bool:
        """A cheap decision from the path alone (before parsing) that the rule cannot fire."""
        return True

    @classmethod
    def fix(cls, site: FixSite) -> Edit | None:
        """Rewrite one finding of this rule (libcst); None when the rewrite is not certain.

        Override together with ``fix_safety``. ``site.node_of(cst.Call)`` is the reported node in
        the file's libcst tree; return ``site.replace(node, new_node)`` (or ``site.remove``).
        Runs only under ``check --fix``/``--diff``, so detection never pays for libcst.
        """
        return None

    # -- reporting -------------------------------------------------------------------------------
    def report(
        self,
        node: ast.AST,
        message: str,
        *,
        related: Iterable[Related] = (),
        severity: Severity | None = None,
        fixable: bool | None = None,
        at_name: bool = False,
        fix_safety: FixSafety | None = None,
    ) -> Finding:
        """Record a finding spanning ``node`` (or only the name of a def/class with ``at_name``).

        ``fixable=False`` when this finding's rewrite is not certain (``fix`` would not apply);
        ``fix_safety`` overrides the rule's safety for one finding (e.g. unsafe for one form).
        """
        location = self.ctx.name_location(node) if at_name else self.ctx.location(node)
        can_fix = self.fix_safety is not FixSafety.NONE if fixable is None else fixable
        finding = Finding(
            code=self.code,
            name=self.name,
            severity=severity or self.severity,
            message=message,
            location=location,
            fix=(fix_safety or self.fix_safety) if can_fix else FixSafety.NONE,
            related=tuple(related),
            statement_line=self.ctx.statement_line(node),
        )
        self.findings.append(finding)
        return finding

    def related(self, node: ast.AST, message: str, module_path: object = None) -> Related:
        """A related location in this file or (with ``module_path``) another indexed file."""
        return Related(self.ctx.location(node, module_path), message)  # type: ignore[arg-type]

    @classmethod
    def check_metadata(cls) -> None:
        if not CODE_RE.match(getattr(cls, "code", "")):
            raise TypeError(f"{cls.__name__}: bad rule code {getattr(cls, 'code', None)!r}")
        if not getattr(cls, "name", "") or not cls.summary:
            raise TypeError(f"{cls.__name__}: rules need a name and a summary")
        has_fix = cls.fix.__func__ is not Rule.fix.__func__  # type: ignore[attr-defined]
        if has_fix != (cls.fix_safety is not FixSafety.NONE):
            raise TypeError(f"{cls.__name__}: set fix_safety exactly when the rule has a fix()")


def visit_methods(rule_cls: type[Rule]) -> Iterator[tuple[str, str]]:
    """(ast node class name, method name) pairs a rule class implements."""
    for attr in dir(rule_cls):
        if attr.startswith("visit_"):
            yield attr[len("visit_") :], attr
