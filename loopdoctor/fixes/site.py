"""Where a finding sits in the libcst tree of its file, and the tools a rule's fix needs.

Detection runs on ``ast`` (fast, no concrete syntax needed); a fix must keep comments, blank
lines and quote style, so it rewrites a libcst tree instead. The bridge is the finding's span:
``ast`` and libcst's ``PositionProvider`` agree on the span of every expression and statement
(both leave parentheses out), so the nodes whose range equals the finding's location are the
nodes the rule reported. The metadata is computed only for files that have a fixable finding.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, ParentNodeProvider, PositionProvider

from loopdoctor.diagnostic import Finding
from loopdoctor.fixes.imports import ImportNeed, import_map, qualify, reference, used_names

N = TypeVar("N", bound=cst.CSTNode)
Span = tuple[int, int, int, int]
Replacement = cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel


@dataclass(frozen=True)
class Edit:
    """Replace ``target`` (a node of the site's module) by ``replacement``; add ``imports``."""

    target: cst.CSTNode
    replacement: Replacement
    imports: tuple[ImportNeed, ...] = ()


class TreeIndex:
    """Positions and parents of one parsed file, shared by every fix in that file for one pass."""

    def __init__(self, module: cst.Module) -> None:
        wrapper = MetadataWrapper(module)
        self.module = wrapper.module
        self.positions: dict[cst.CSTNode, CodeRange] = dict(wrapper.resolve(PositionProvider))
        self.parents: dict[cst.CSTNode, cst.CSTNode] = dict(wrapper.resolve(ParentNodeProvider))
        self.by_span: dict[Span, list[cst.CSTNode]] = {}
        for node, where in self.positions.items():
            key = (where.start.line, where.start.column, where.end.line, where.end.column)
            self.by_span.setdefault(key, []).append(node)
        self.imports = import_map(self.module)
        self._used: set[str] | None = None

    @property
    def used_names(self) -> set[str]:
        if self._used is None:
            self._used = used_names(self.positions)
        return self._used

    def span(self, node: cst.CSTNode) -> Span | None:
        where = self.positions.get(node)
        if where is None:
            return None
        return (where.start.line, where.start.column, where.end.line, where.end.column)

    def depth(self, node: cst.CSTNode) -> int:
        depth = 0
        while node in self.parents:
            node = self.parents[node]
            depth += 1
        return depth


@dataclass
class FixSite:
    """One finding located in its file's libcst tree. A rule's ``fix`` gets one of these."""

    finding: Finding
    index: TreeIndex
    needs: list[ImportNeed] = field(default_factory=list)

    # -- locating -------------------------------------------------------------------------------
    @property
    def module(self) -> cst.Module:
        return self.index.module

    @property
    def nodes(self) -> list[cst.CSTNode]:
        """The nodes spanning exactly the finding's location, outermost first."""
        loc = self.finding.location
        key = (loc.line, loc.column - 1, loc.end_line, loc.end_column - 1)
        found = self.index.by_span.get(key, [])
        return sorted(found, key=self.index.depth)

    def node_of(self, *types: type[N]) -> N | None:
        """The reported node of one of ``types`` (``site.node_of(cst.Call)``), else None."""
        for node in self.nodes:
            if isinstance(node, types):
                return node  # type: ignore[return-value]
        return None

    def reported_def(self) -> cst.FunctionDef | None:
        """The def whose name the finding spans (rules that report ``at_name=True``)."""
        name = self.node_of(cst.Name)
        func = self.parent(name) if name is not None else None
        return func if isinstance(func, cst.FunctionDef) else None

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self.index.parents.get(node)

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        current = self.parent(node)
        while current is not None:
            yield current
            current = self.parent(current)

    def enclosing_function(self, node: cst.CSTNode) -> cst.FunctionDef | None:
        """The nearest ``def`` around ``node``; None at module level or inside a lambda."""
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, cst.FunctionDef):
                return ancestor
            if isinstance(ancestor, cst.Lambda):
                return None
        return None

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def qualify(self, expr: cst.BaseExpression) -> str | None:
        """The qualified name an expression spells through the file's top-level imports."""
        return qualify(expr, self.index.imports)

    # -- editing --------------------------------------------------------------------------------
    def reference(
        self, modules: str | Sequence[str], name: str, *, style: str = "name"
    ) -> str | None:
        """Text naming ``module.name`` here, reusing an import or alias; records a new import.

        None when a new import would shadow a name the file already uses: no certain fix.
        """
        homes = (modules,) if isinstance(modules, str) else tuple(modules)
        found = reference(
            self.module, self.index.imports, self.index.used_names, homes, name, style=style
        )
        if found is None:
            return None
        text, need = found
        if need is not None:
            self.needs.append(need)
        return text

    def replace(self, target: cst.CSTNode, replacement: Replacement) -> Edit:
        """The edit that swaps ``target`` for ``replacement`` plus the imports asked for so far."""
        return Edit(target, replacement, tuple(self.needs))

    def remove(self, target: cst.CSTNode) -> Edit:
        return Edit(target, cst.RemovalSentinel.REMOVE, tuple(self.needs))


def expression(text: str) -> cst.BaseExpression:
    """Parse an expression the fix builds from text (``"um.AsyncMock"``)."""
    return cst.parse_expression(text)


def keyword(name: str, value: cst.BaseExpression) -> cst.Arg:
    """``name=value`` in the usual style (no spaces around ``=``)."""
    return cst.Arg(
        keyword=cst.Name(name),
        value=value,
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )


def add_keyword(call: cst.Call, arg: cst.Arg) -> cst.Call:
    """Append a keyword argument, keeping the call's layout (one per line stays one per line)."""
    args = list(call.args)
    if not args:
        return call.with_changes(args=[arg])
    last = args[-1]
    if isinstance(last.comma, cst.Comma):  # trailing comma: multi-line layout, copy it
        new = arg.with_changes(comma=last.comma)
        if len(args) > 1 and isinstance(args[-2].comma, cst.Comma):
            args[-1] = last.with_changes(comma=args[-2].comma)
        return call.with_changes(args=[*args, new])
    args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    return call.with_changes(args=[*args, arg])


def keyword_arg(call: cst.Call, name: str) -> cst.Arg | None:
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


def has_star_args(call: cst.Call) -> bool:
    """``f(*a)`` or ``f(**kw)``: the keywords a fix adds might already be in there."""
    return any(a.star for a in call.args)
