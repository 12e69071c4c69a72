"""LD202: an ``async def`` fixture under plain ``@pytest.fixture`` in strict mode."""

from __future__ import annotations

import ast

from loopdoctor.diagnostic import Severity
from loopdoctor.metadata.loops import anyio_or_trio_project, has_fixture_hook
from loopdoctor.rule import Rule


class AsyncFixturePlainDecorator(Rule):
    code = "LD202"
    name = "async-fixture-plain-decorator"
    severity = Severity.ERROR
    summary = (
        "An `async def` fixture decorated with `@pytest.fixture` in strict mode: users get a "
        "coroutine, not its value."
    )
    tokens = (b"async def",)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        ctx = self.ctx
        func = ctx.function_info(node)
        if func is None or func.fixture is None or func.fixture.kind != "pytest":
            return
        env = ctx.project.asyncio_env(ctx.module)
        if env.plugin_active and env.mode == "auto":
            return
        # anyio's and pytest-trio's plugins run async `@pytest.fixture`s for their tests, and a
        # `pytest_fixture_setup` hook may do the same: we cannot tell who awaits it then.
        if anyio_or_trio_project(ctx.project, ctx.module):
            return
        if has_fixture_hook(ctx.project, ctx.module):
            return
        produced = "an async generator object" if func.is_generator else "a coroutine object"
        state = "strict mode" if env.plugin_active else "pytest-asyncio disabled"
        self.report(
            node,
            f"async fixture `{func.fixture.name}` uses plain `@pytest.fixture` ({state}): "
            f"pytest-asyncio does not run it, so every test gets {produced} instead of its "
            "value (pytest 8.4 warns, pytest 9 errors); decorate it with "
            "`@pytest_asyncio.fixture` or set `asyncio_mode = auto`",
            at_name=True,
        )
