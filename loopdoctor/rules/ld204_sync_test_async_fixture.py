"""LD204: a plain ``def`` test or sync fixture requests an async fixture nobody awaits."""

from __future__ import annotations

import ast

from loopdoctor.diagnostic import Severity
from loopdoctor.index.facts import FunctionInfo
from loopdoctor.metadata.loops import fixture_resolved_by_plugin
from loopdoctor.project import FixtureDef
from loopdoctor.rule import TEST_FILE, Rule


class SyncTestAsyncFixture(Rule):
    code = "LD204"
    name = "sync-test-async-fixture"
    severity = Severity.ERROR
    summary = (
        "A sync test or fixture requests an async fixture that no plugin runs: it receives a "
        "coroutine or async generator."
    )
    tokens = (b"def ",)  # the async fixture usually lives in another file
    requires = ((TEST_FILE, b"fixture"),)  # a test, or a sync fixture

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        ctx = self.ctx
        func = ctx.function_info(node)
        if func is None or not (func.is_test or func.fixture is not None):
            return
        args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        for arg in args:
            if arg.arg in ("self", "cls", "request"):
                continue
            fixture = ctx.project.param_fixture(func, ctx.module, arg.arg)
            if fixture is not None and fixture.func is not func:
                self.check(arg, func, fixture)
        for mark in func.marks:
            if mark.name != "usefixtures":
                continue
            for value in mark.args:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    fixture = ctx.project.param_fixture(func, ctx.module, value.value)
                    if fixture is not None:
                        self.check(value, func, fixture)

    def check(self, at: ast.AST, func: FunctionInfo, fixture: FixtureDef) -> None:
        if (
            not fixture.is_async
            or fixture_resolved_by_plugin(self.ctx.project, fixture) is not False
        ):
            return
        what = "test" if func.is_test else "sync fixture"
        produced = (
            "an async generator object" if fixture.func.is_generator else "a coroutine object"
        )
        where = "" if fixture.module is self.ctx.module else f" in {fixture.module.path.name}"
        if self.ctx.project.asyncio_env(fixture.module).plugin_active:
            why = "strict mode and plain `@pytest.fixture`"
            fix = (
                "decorate the fixture with `@pytest_asyncio.fixture` (pytest-asyncio then hands "
                "sync tests its value too), or make the test `async def` and set auto mode"
            )
        else:
            why = "pytest-asyncio is disabled with `-p no:asyncio`"
            fix = "re-enable pytest-asyncio"
        related = [
            self.related(
                fixture.func.node,
                f"async fixture `{fixture.name}` is defined here; nothing awaits it ({why})",
                fixture.module.path,
            )
        ]
        self.report(
            at,
            f"{what} `{func.name}` is a plain `def` and requests async fixture "
            f"`{fixture.name}`{where}, which no plugin runs ({why}): it receives {produced}, "
            f"not the value, and the fixture body never runs; {fix}",
            related=related,
        )
