"""LD104: ``asyncio.run()`` / ``asyncio.Runner`` / ``anyio.run`` inside an ``async def``."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TYPE_CHECKING

from loopdoctor.diagnostic import Severity
from loopdoctor.index.extract import dotted
from loopdoctor.metadata.loops import in_test_dir, inherited_marks, is_test_code, project_facts
from loopdoctor.rule import Rule

if TYPE_CHECKING:
    from loopdoctor.project import ProjectIndex

NESTED_RUNNERS = {
    "asyncio.run": "asyncio.run()",
    "asyncio.Runner": "asyncio.Runner",
    "anyio.run": "anyio.run()",
}


class NestedAsyncioRun(Rule):
    code = "LD104"
    name = "nested-asyncio-run"
    severity = Severity.ERROR
    summary = (
        "`asyncio.run()`/`asyncio.Runner`/`anyio.run()` inside an `async def` test or fixture: "
        "it cannot start a loop inside the running one."
    )
    tokens = (b"run",)
    requires = ((b"async",),)  # inside an async def

    @classmethod
    def applies_to(cls, path: Path, project: ProjectIndex) -> bool:
        """Test code only (``is_test_code``), decided from the path."""
        return project.is_test_path(path) or in_test_dir(path)

    def visit_Call(self, node: ast.Call) -> None:
        ctx = self.ctx
        name = dotted(node.func)
        if name is None or not is_test_code(ctx.module):
            return
        if ctx.is_locally_bound(name.split(".")[0], node):
            return
        label = NESTED_RUNNERS.get(ctx.qualify(node.func) or "")
        if label is None:
            return
        if not isinstance(ctx.enclosing_def(node), ast.AsyncFunctionDef):
            return
        if project_facts(ctx.project, ctx.module).nest_asyncio:
            return  # nest_asyncio.apply() makes nested runs work on purpose
        owner = ctx.enclosing_function(node)
        if owner is not None and owner.is_test:
            marks = {m.name for m in inherited_marks(ctx.project, owner, ctx.module)}
            if "trio" in marks:
                return  # no asyncio loop is running under trio
        what = "test" if owner is not None and owner.is_test else "coroutine"
        if owner is not None and owner.fixture is not None:
            what = "async fixture"
        if label == "asyncio.Runner":
            effect = (
                "its `run()` raises RuntimeError ('Runner.run() cannot be called from a "
                "running event loop')"
            )
        else:
            effect = (
                f"`{label}` raises RuntimeError ('asyncio.run() cannot be called from a running "
                "event loop') and the coroutine passed to it is never awaited"
            )
        self.report(
            node,
            f"{label} inside an `async def` {what}: the {what} already runs on an event loop, so "
            f"{effect}; `await` the coroutine instead",
        )
