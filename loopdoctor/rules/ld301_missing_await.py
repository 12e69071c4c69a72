"""LD301: a coroutine is created and never awaited."""

from __future__ import annotations

import ast

from loopdoctor.diagnostic import Severity
from loopdoctor.metadata.coroutines import (
    coroutine_target,
    could_be_coroutine_call,
    discarded,
)
from loopdoctor.rule import Rule


class MissingAwait(Rule):
    code = "LD301"
    name = "missing-await"
    severity = Severity.ERROR
    summary = "A call to a coroutine function whose result is never awaited: the body never runs."

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
        )

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
