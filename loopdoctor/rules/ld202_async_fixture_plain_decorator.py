"""LD202: an ``async def`` fixture under plain ``@pytest.fixture`` in strict mode."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from loopdoctor.astwalk import walk
from loopdoctor.diagnostic import FixSafety, Severity
from loopdoctor.metadata.loops import anyio_or_trio_project, has_fixture_hook
from loopdoctor.rule import Rule

if TYPE_CHECKING:
    from loopdoctor.fixes import Edit, FixSite


class AsyncFixturePlainDecorator(Rule):
    code = "LD202"
    name = "async-fixture-plain-decorator"
    severity = Severity.ERROR
    summary = (
        "An `async def` fixture decorated with `@pytest.fixture` in strict mode: users get a "
        "coroutine, not its value."
    )
    fix_safety = FixSafety.SAFE
    tokens = (b"async def",)

    @classmethod
    def fix(cls, site: FixSite) -> Edit | None:
        """``@pytest.fixture(...)`` -> ``@pytest_asyncio.fixture(...)``, same arguments."""
        import libcst as cst

        from loopdoctor.fixes import expression

        func = site.reported_def()
        if func is None:
            return None
        for decorator in func.decorators:
            expr = decorator.decorator
            target = expr.func if isinstance(expr, cst.Call) else expr
            if site.qualify(target) == "pytest.fixture":
                ref = site.reference("pytest_asyncio", "fixture", style="module")
                return site.replace(target, expression(ref)) if ref else None
        return None

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
            # With the plugin disabled the new decorator would not run the fixture either.
            fixable=env.plugin_active
            and self.can_name_pytest_asyncio()
            # ``@pytest.fixture("session")``: pytest_asyncio.fixture takes no positional scope.
            and not getattr(func.fixture.decorator, "args", None),
        )

    def can_name_pytest_asyncio(self) -> bool:
        """``pytest_asyncio.fixture`` is reachable: imported, or the name is free to import."""
        imports = self.ctx.module.imports
        if imports.get("pytest_asyncio") == "pytest_asyncio":
            return True
        if "pytest_asyncio.fixture" in imports.values():
            return True
        # A new ``import pytest_asyncio`` must not rebind a name the module uses otherwise.
        return "pytest_asyncio" not in imports and not _binds_or_reads(
            self.ctx.module.tree, "pytest_asyncio"
        )


def _binds_or_reads(tree: ast.AST, name: str) -> bool:
    """``name`` is read, assigned, a parameter, a def/class, an import or an ``except`` target."""
    for node in walk(tree):
        if (
            (isinstance(node, ast.Name) and node.id == name)
            or (isinstance(node, ast.arg) and node.arg == name)
            or (
                isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                and node.name == name
            )
            or (isinstance(node, ast.alias) and (node.asname or node.name) == name)
            or (isinstance(node, ast.ExceptHandler) and node.name == name)
        ):
            return True
    return False
