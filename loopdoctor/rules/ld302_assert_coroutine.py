"""LD302: ``assert`` on a coroutine (or an unawaited AsyncMock call) is always true."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from loopdoctor.diagnostic import FixSafety, Severity
from loopdoctor.index.extract import dotted
from loopdoctor.metadata.async_mocks import ASYNC, MockScope
from loopdoctor.metadata.coroutines import coroutine_target
from loopdoctor.rule import Rule

if TYPE_CHECKING:
    from loopdoctor.project import ProjectIndex


class AssertCoroutine(Rule):
    code = "LD302"
    name = "assert-coroutine"
    severity = Severity.ERROR
    summary = "`assert` on a coroutine call (or an unawaited AsyncMock call) is always true."
    fix_safety = FixSafety.NONE
    tokens = (b"assert",)
    requires = ((b"assert",),)

    prefilter_facets = (("coro",),)

    @classmethod
    def index_tokens(cls, project: ProjectIndex) -> tuple[bytes, ...]:
        """The asserted call's name must appear: a project coroutine or a known async API."""
        from loopdoctor.prefilter import coroutine_call_tokens

        return coroutine_call_tokens(project)

    def visit_Assert(self, node: ast.Assert) -> None:
        test = node.test
        if not isinstance(test, ast.Call):
            return
        target = coroutine_target(self.ctx, test)
        if target is not None:
            self.report(
                test,
                f"`assert {target.short}` is always true: the call only creates a coroutine "
                f"({target.description}), which is truthy, so the assertion checks nothing "
                "and the call never runs; use `assert await ...`",
            )
            return
        chain = dotted(test.func)
        if chain is None:
            return
        owner = self.ctx.enclosing_function(node)
        if owner is None:
            return
        scope = MockScope(self.ctx.project, self.ctx.module, env=self.ctx.env(owner))  # type: ignore[arg-type]
        found = scope.visible(owner, self.ctx.enclosing_def(node))
        mock = scope.lookup(chain, found)
        if mock is None or mock.kind != ASYNC:
            return
        self.report(
            test,
            f"`assert {chain}(...)` is always true: `{chain}` is an AsyncMock "
            f"(from `{mock.origin}`), so calling it returns a coroutine, which is truthy and "
            "never awaited; use `assert await ...` or `assert_awaited_*`",
        )
