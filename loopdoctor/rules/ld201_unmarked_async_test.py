"""LD201: an ``async def test_*`` that no plugin runs: its body never executes."""

from __future__ import annotations

import ast

from loopdoctor.diagnostic import Severity
from loopdoctor.metadata.loops import anyio_or_trio_project, test_runner
from loopdoctor.rule import Rule


class UnmarkedAsyncTest(Rule):
    code = "LD201"
    name = "unmarked-async-test"
    severity = Severity.ERROR
    summary = (
        "An `async def` test that no asyncio/anyio/trio marker or auto mode covers: "
        "its body never runs."
    )
    tokens = (b"async def",)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        ctx = self.ctx
        func = ctx.function_info(node)
        if func is None or not func.is_test or func.is_generator:
            return
        if test_runner(ctx.project, func, ctx.module) is not None:
            return
        env = ctx.project.asyncio_env(ctx.module)
        if not env.plugin_active:
            why = (
                "pytest-asyncio is disabled (`-p no:asyncio`), so neither its marker nor "
                "auto mode applies"
            )
            fix = "re-enable the plugin or mark the test for anyio/trio"
        else:
            why = "strict mode and no `asyncio`/`anyio`/`trio` marker on it, its class or module"
            if anyio_or_trio_project(ctx.project, ctx.module):
                fix = "add `@pytest.mark.anyio` (as the rest of the suite does) or `asyncio`"
            else:
                fix = (
                    "add `@pytest.mark.asyncio` (or `pytestmark = pytest.mark.asyncio`), or set "
                    "`asyncio_mode = auto`"
                )
        self.report(
            node,
            f"async test `{func.name}` is never awaited ({why}): pytest skips it with "
            "'async def functions are not natively supported' (pytest < 8.4) or fails it "
            f"(8.4+), and its body never runs; {fix}",
            at_name=True,
        )
