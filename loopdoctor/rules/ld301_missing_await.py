"""LD301: a coroutine is created and never awaited."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from loopdoctor.diagnostic import FixSafety, Severity
from loopdoctor.metadata.coroutines import (
    callee_name,
    coroutine_target,
    could_be_coroutine_call,
    discarded,
)
from loopdoctor.rule import Rule

if TYPE_CHECKING:
    from loopdoctor.fixes import Edit, FixSite
    from loopdoctor.project import ProjectIndex

#: Context managers that expect an error or a warning: an unawaited call there is the point.
EXPECTATION_CONTEXTS = frozenset(
    {
        "raises",
        "warns",
        "deprecated_call",
        "assertRaises",
        "assertRaisesRegex",
        "assertWarns",
        "assertWarnsRegex",
        "check_warnings",
    }
)


class MissingAwait(Rule):
    code = "LD301"
    name = "missing-await"
    severity = Severity.ERROR
    summary = "A call to a coroutine function whose result is never awaited: the body never runs."

    prefilter_facets = (("coro",),)

    @classmethod
    def index_tokens(cls, project: ProjectIndex) -> tuple[bytes, ...]:
        """The callee's name must appear in the file: a project coroutine or a known async API."""
        from loopdoctor.prefilter import coroutine_call_tokens

        return coroutine_call_tokens(project)

    #: Unsafe: the awaited call now runs (that is the point), and its result replaces a coroutine.
    fix_safety = FixSafety.UNSAFE

    @classmethod
    def fix(cls, site: FixSite) -> Edit | None:
        """``coro()`` -> ``await coro()`` (parenthesised before ``.attr``, ``[i]`` or ``()``)."""
        import libcst as cst

        call = site.node_of(cst.Call)
        if call is None:
            return None
        parent = site.parent(call)
        wrap = (isinstance(parent, cst.Attribute | cst.Subscript) and parent.value is call) or (
            isinstance(parent, cst.Call) and parent.func is call
        )
        parens = {"lpar": [cst.LeftParen()], "rpar": [cst.RightParen()]} if wrap else {}
        return site.replace(call, cst.Await(expression=call, **parens))

    def visit_Call(self, node: ast.Call) -> None:
        parent = self.ctx.parent(node)
        if isinstance(parent, ast.Await):
            return
        if isinstance(parent, ast.Assert) and parent.test is node:
            return  # LD302 reports ``assert coro()``
        if not could_be_coroutine_call(self.ctx, node):
            return
        if not discarded(self.ctx, node):
            return
        if self.expects_failure(node):
            return
        target = coroutine_target(self.ctx, node)
        if target is None:
            return
        owner = self.ctx.enclosing_def(node)
        in_async = isinstance(owner, ast.AsyncFunctionDef)
        consequence = self.consequence(node, parent)
        advice = "add `await`" if in_async else "await it from an `async def`"
        self.report(
            node,
            f"`{target.short}` is never awaited: it only creates a coroutine "
            f"({target.description}), so {consequence}; {advice}",
            fixable=in_async and self.await_allowed(node),
        )

    def await_allowed(self, node: ast.Call) -> bool:
        """``await`` is valid here and means the same: not in a generator expression (it would
        turn into an async generator), a lambda or a class body nested in the ``async def``."""
        for ancestor in self.ctx.ancestors(node):
            if isinstance(ancestor, ast.AsyncFunctionDef):
                return True
            if isinstance(ancestor, ast.GeneratorExp | ast.Lambda | ast.ClassDef | ast.FunctionDef):
                return False
        return False

    def expects_failure(self, node: ast.Call) -> bool:
        """Inside ``pytest.raises``/``warns`` or ``assertRaises``/``assertWarns``: deliberate."""
        # Memoised per ancestor (walk result from it, inclusive): a walk per call cost calls x
        # depth, a minute for a 2,900-link call chain at module level.
        cache: dict[int, bool] = self.__dict__.setdefault("_expects_failure", {})
        walked: list[int] = []
        found = False
        for ancestor in self.ctx.ancestors(node):
            if id(ancestor) in cache:
                found = cache[id(ancestor)]
                break
            walked.append(id(ancestor))
            if isinstance(ancestor, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                break
            if isinstance(ancestor, ast.With | ast.AsyncWith) and any(
                isinstance(item.context_expr, ast.Call)
                and callee_name(item.context_expr) in EXPECTATION_CONTEXTS
                for item in ancestor.items
            ):
                found = True
                break
        for key in walked:
            cache[key] = found
        return found

    def consequence(self, node: ast.Call, parent: ast.AST | None) -> str:
        if isinstance(parent, ast.Attribute):
            return (
                f"`.{parent.attr}` is looked up on a coroutine object and fails "
                "(AttributeError), and the call itself never runs"
            )
        if isinstance(parent, ast.Assign | ast.AnnAssign):
            return "the variable holds a coroutine object, not a result, and the call never runs"
        if isinstance(parent, ast.If | ast.While | ast.BoolOp | ast.UnaryOp | ast.IfExp):
            return "the condition is always true (a coroutine object is truthy) and nothing runs"
        return "the call never runs ('coroutine ... was never awaited')"
