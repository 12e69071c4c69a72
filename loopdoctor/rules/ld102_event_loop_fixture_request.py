"""LD102: a test or fixture that requests the ``event_loop`` fixture."""

from __future__ import annotations

import ast

from loopdoctor.diagnostic import Severity
from loopdoctor.index.facts import FunctionInfo, Mark
from loopdoctor.rule import Rule
from loopdoctor.rules.ld101_event_loop_fixture import plain_loop_fixture_module

ADVICE = "inside a coroutine use `asyncio.get_running_loop()` instead"


class EventLoopFixtureRequest(Rule):
    code = "LD102"
    name = "event-loop-fixture-request"
    severity = Severity.ERROR
    summary = "A test or fixture requests the `event_loop` fixture, removed in pytest-asyncio 1.0."
    tokens = (b"event_loop",)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        func = self.ctx.function_info(node)
        if func is None or not (func.is_test or func.fixture is not None):
            return
        if func.fixture is not None and func.fixture.name == "event_loop":
            return
        if (
            not func.is_async
            and plain_loop_fixture_module(self.ctx)
            and any(
                f.fixture is not None and f.fixture.name == "event_loop"
                for f in self.ctx.module.functions.values()
            )
        ):
            return  # a sync test using the module's own plain loop fixture
        for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
            if arg.arg == "event_loop":
                self.report(arg, self.message(func))
        for mark in func.marks:
            self.check_usefixtures(mark)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        """``request.getfixturevalue("event_loop")``."""
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "getfixturevalue"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == "event_loop"
        ):
            owner = self.ctx.enclosing_function(node)
            if owner is not None and (owner.is_test or owner.fixture is not None):
                self.report(node, self.message(owner))

    def finish(self) -> None:
        module = self.ctx.module
        for mark in module.pytestmark:
            self.check_usefixtures(mark)
        for cls in module.classes.values():
            for mark in cls.marks:
                self.check_usefixtures(mark)

    def check_usefixtures(self, mark: Mark) -> None:
        if mark.name != "usefixtures":
            return
        for arg in mark.args:
            if isinstance(arg, ast.Constant) and arg.value == "event_loop":
                self.report(
                    arg,
                    f'`usefixtures("event_loop")` requests the removed `event_loop` '
                    f"fixture; {self.removal()}",
                )

    def message(self, func: FunctionInfo) -> str:
        what = "fixture" if func.fixture is not None else "test"
        return f"{what} `{func.name}` requests the `event_loop` fixture; {self.removal()}"

    def removal(self) -> str:
        version = self.ctx.project.asyncio_env(self.ctx.module).version
        custom = self.ctx.project.lookup_fixture(
            "event_loop", self.ctx.project.fixture_layers(self.ctx.module)
        )
        if custom is not None:
            state = (
                "it gets the project's own `event_loop` fixture, which pytest-asyncio >= 1.0 does "
                "not run tests on"
            )
        elif version.at_least(1, 0):
            state = f"{version.describe()} removed it (\"fixture 'event_loop' not found\")"
        else:
            state = f"deprecated in {version.describe()} and removed in 1.0"
        return f"{state}; {ADVICE}"
