"""LD101: a user-defined ``event_loop`` fixture (removed in pytest-asyncio 1.0)."""

from __future__ import annotations

import ast

from loopdoctor.diagnostic import Severity
from loopdoctor.rule import Rule


class EventLoopFixture(Rule):
    code = "LD101"
    name = "event-loop-fixture"
    severity = Severity.ERROR
    summary = (
        "A user-defined `event_loop` fixture: deprecated in pytest-asyncio 0.23, removed in 1.0."
    )
    tokens = (b"event_loop",)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        func = self.ctx.function_info(node)
        if func is None or func.fixture is None or func.fixture.name != "event_loop":
            return
        self.report(node, self.message(func.fixture.scope), at_name=True)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Assign(self, node: ast.Assign) -> None:
        """``event_loop = pytest.fixture(scope="session")(make_loop)``."""
        if not any(isinstance(t, ast.Name) and t.id == "event_loop" for t in node.targets):
            return
        if self.ctx.enclosing_def(node) is not None:
            return
        value = node.value
        if not (isinstance(value, ast.Call) and value.args):
            return
        decorator = value.func
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if self.ctx.qualify(target) in ("pytest.fixture", "pytest_asyncio.fixture"):
            scope = "function"
            if isinstance(decorator, ast.Call):
                for kw in decorator.keywords:
                    if kw.arg == "scope" and isinstance(kw.value, ast.Constant):
                        scope = str(kw.value.value)
            self.report(node.targets[0], self.message(scope))

    def message(self, scope: str) -> str:
        version = self.ctx.project.asyncio_env(self.ctx.module).version
        if version.at_least(1, 0):
            effect = (
                f"{version.describe()} ignores it silently: tests and async fixtures run on "
                "pytest-asyncio's own loops, not this one"
            )
        elif version.at_least(0, 23):
            effect = (
                f"{version.describe()} deprecates overriding it and 1.0 removes it, after which "
                "it is silently ignored"
            )
        else:
            effect = (
                f"{version.describe()} still uses it, but pytest-asyncio 1.0 removes it and "
                "ignores it silently"
            )
        if scope in ("session", "package", "module", "class"):
            cross = (
                f"; a {scope}-scoped loop was meant to be shared, so objects created on it "
                "(engines, pools, clients) end up 'attached to a different loop' once each test "
                f'gets its own loop. Set loop_scope="{scope}" on the tests and fixtures that must '
                "share a loop instead"
            )
        else:
            cross = "; delete it and let pytest-asyncio own the loop"
        return f"custom `event_loop` fixture ({scope} scope): {effect}{cross}"
