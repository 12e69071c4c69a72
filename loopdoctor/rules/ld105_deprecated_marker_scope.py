"""LD105: ``scope=`` where pytest-asyncio >= 0.24 wants ``loop_scope=``."""

from __future__ import annotations

import ast

from loopdoctor.diagnostic import Severity
from loopdoctor.index.facts import Mark
from loopdoctor.knowledge import scope_rank
from loopdoctor.rule import Rule


class DeprecatedMarkerScope(Rule):
    code = "LD105"
    name = "deprecated-marker-scope"
    severity = Severity.WARNING
    summary = (
        "`@pytest.mark.asyncio(scope=...)` (deprecated since pytest-asyncio 0.24) or "
        "`@pytest_asyncio.fixture(scope=...)` meant as the loop scope: use `loop_scope=`."
    )
    tokens = (b"scope",)

    def version_ok(self) -> bool:
        """``scope=`` was the 0.23 spelling; only 0.24 and later have ``loop_scope``."""
        return self.ctx.project.asyncio_env(self.ctx.module).version.at_least(0, 24)

    # -- markers ---------------------------------------------------------------------------------
    def finish(self) -> None:
        if not self.version_ok() or not self.ctx.project.asyncio_env(self.ctx.module).plugin_active:
            return
        module = self.ctx.module
        marks: list[Mark] = list(module.pytestmark)
        for cls in module.classes.values():
            marks.extend(cls.marks)
        seen: set[int] = set()
        for func in module.functions.values():
            marks.extend(func.marks)
        for mark in marks:
            if mark.name != "asyncio" or id(mark.node) in seen:
                continue
            seen.add(id(mark.node))
            call = mark.node
            if not isinstance(call, ast.Call):
                continue
            for keyword in call.keywords:
                if keyword.arg == "scope":
                    self.report_marker(keyword, mark)

    def report_marker(self, keyword: ast.keyword, mark: Mark) -> None:
        value = mark.kwarg_str("scope")
        shown = f'"{value}"' if value else "..."
        version = self.ctx.project.asyncio_env(self.ctx.module).version
        extra = ""
        if "loop_scope" in mark.kwargs:
            extra = " (it is given together with `loop_scope`, which wins)"
        self.report(
            keyword,
            f"`@pytest.mark.asyncio(scope={shown})` is the pytest-asyncio 0.23 spelling; "
            f"{version.describe()} deprecates it (PytestDeprecationWarning) in favour of "
            f"`loop_scope={shown}`{extra}",
        )

    # -- @pytest_asyncio.fixture(scope=X) ----------------------------------------------------------
    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        ctx = self.ctx
        func = ctx.function_info(node)
        if func is None or func.fixture is None:
            return
        fixture = func.fixture
        if not fixture.legacy_scope_on_asyncio or fixture.scope in ("function", "dynamic"):
            return
        env = ctx.project.asyncio_env(ctx.module)
        if not self.version_ok() or not env.plugin_active:
            return
        default = env.settings.default_fixture_loop_scope
        if default is None or default == fixture.scope:
            return  # the loop scope still follows the cache scope, as in 0.23
        decorator = fixture.decorator
        keyword = next(
            (k for k in getattr(decorator, "keywords", []) if k.arg == "scope"), decorator
        )
        if scope_rank(default) < scope_rank(fixture.scope):
            effect = (
                "the fixture is cached for the whole "
                f"{fixture.scope} but set up on a {default} loop that closes first "
                "(ScopeMismatch at setup)"
            )
        else:
            effect = f"the fixture runs on the {default} loop, not a {fixture.scope} loop"
        self.report(
            keyword,
            f'`@pytest_asyncio.fixture(scope="{fixture.scope}")` sets only the cache scope '
            f"since pytest-asyncio 0.24; with `asyncio_default_fixture_loop_scope = {default}` "
            f'its loop scope is "{default}", so {effect}; add `loop_scope="{fixture.scope}"`',
        )
