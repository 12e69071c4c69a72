"""LD403: ``assert_called*`` on an AsyncMock passes even when the coroutine was never awaited."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from loopdoctor.astwalk import walk
from loopdoctor.diagnostic import FixSafety, Severity
from loopdoctor.index.extract import dotted
from loopdoctor.metadata.async_mocks import ASYNC, MockScope, MockValue
from loopdoctor.rule import Rule

if TYPE_CHECKING:
    from loopdoctor.fixes import Edit, FixSite

#: Call assertions and the await assertion that is meant.
AWAITED_FORM = {
    "assert_called": "assert_awaited",
    "assert_called_once": "assert_awaited_once",
    "assert_called_with": "assert_awaited_with",
    "assert_called_once_with": "assert_awaited_once_with",
    "assert_any_call": "assert_any_await",
    "assert_has_calls": "assert_has_awaits",
}

AWAIT_CHECKS = (
    "assert_awaited",
    "assert_any_await",
    "assert_has_awaits",
    "assert_not_awaited",
    "await_",
)


class CalledNotAwaitedAssert(Rule):
    code = "LD403"
    name = "called-not-awaited-assert"
    severity = Severity.WARNING
    summary = "`assert_called*` on an AsyncMock passes even if the coroutine was never awaited."
    #: Unsafe: the stricter assertion fails where the code under test forgets to await.
    fix_safety = FixSafety.UNSAFE
    tokens = (b"assert_called", b"assert_any_call", b"assert_has_calls")

    @classmethod
    def fix(cls, site: FixSite) -> Edit | None:
        """``m.assert_called_once_with(x)`` -> ``m.assert_awaited_once_with(x)``."""
        import libcst as cst

        call = site.node_of(cst.Call)
        if call is None or not isinstance(call.func, cst.Attribute):
            return None
        wanted = AWAITED_FORM.get(call.func.attr.value)
        return site.replace(call.func.attr, cst.Name(wanted)) if wanted else None

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr not in AWAITED_FORM:
            return
        chain = dotted(func.value)
        if chain is None:
            return
        owner = self.ctx.enclosing_function(node)
        if owner is None:
            return
        mock = self.async_mock(node, chain, owner)
        if mock is None or self.also_awaited(node, chain):
            return
        wanted = AWAITED_FORM[func.attr]
        self.report(
            node,
            f"`{chain}.{func.attr}()` on an AsyncMock (from `{mock.origin}`) passes as soon as "
            "the mock was called, even if the coroutine it returned was never awaited (the "
            f"code under test forgot `await`); use `{chain}.{wanted}()`",
        )

    def async_mock(self, node: ast.AST, chain: str, owner: object) -> MockValue | None:
        scope = MockScope(self.ctx.project, self.ctx.module, env=self.ctx.env(owner))  # type: ignore[arg-type]
        found = scope.visible(owner, self.ctx.enclosing_def(node))  # type: ignore[arg-type]
        mock = scope.lookup(chain, found)
        return mock if mock is not None and mock.kind == ASYNC else None

    def also_awaited(self, node: ast.AST, chain: str) -> bool:
        """The test checks the await too (``assert_awaited*``, ``await_count``): deliberate."""
        scope = self.ctx.enclosing_def(node)
        if scope is None:
            return False
        for child in walk(scope):
            if (
                isinstance(child, ast.Attribute)
                and child.attr.startswith(AWAIT_CHECKS)
                and dotted(child.value) == chain
            ):
                return True
        return False
