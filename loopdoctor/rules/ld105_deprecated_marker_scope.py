"""LD105: ``scope=`` where pytest-asyncio >= 0.24 wants ``loop_scope=``."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from loopdoctor.diagnostic import FixSafety, Severity
from loopdoctor.index.facts import Mark
from loopdoctor.knowledge import scope_rank
from loopdoctor.rule import Rule

if TYPE_CHECKING:
    from loopdoctor.fixes import Edit, FixSite


class DeprecatedMarkerScope(Rule):
    code = "LD105"
    name = "deprecated-marker-scope"
    severity = Severity.WARNING
    summary = (
        "`@pytest.mark.asyncio(scope=...)` (deprecated since pytest-asyncio 0.24) or "
        "`@pytest_asyncio.fixture(scope=...)` meant as the loop scope: use `loop_scope=`."
    )
    #: Markers: ``scope=`` is a deprecated alias of ``loop_scope=``, renaming it changes nothing.
    #: Fixtures get an unsafe fix (``loop_scope=`` added next to ``scope=``; the loop changes).
    fix_safety = FixSafety.SAFE
    tokens = (b"scope",)
    requires = ((b"async",),)

    @classmethod
    def fix(cls, site: FixSite) -> Edit | None:
        """Marker: ``scope=`` -> ``loop_scope=``; fixture: ``loop_scope=`` added, same value."""
        import libcst as cst

        from loopdoctor.fixes import add_keyword, keyword, keyword_arg

        arg = site.node_of(cst.Arg)
        call = site.parent(arg) if arg is not None else None
        if arg is None or not isinstance(call, cst.Call) or keyword_arg(call, "loop_scope"):
            return None
        if site.qualify(call.func) == "pytest_asyncio.fixture":
            return site.replace(call, add_keyword(call, keyword("loop_scope", arg.value)))
        return site.replace(arg.keyword, cst.Name("loop_scope"))

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
            fixable=not extra and self.ctx.qualify(mark.node.func) == "pytest.mark.asyncio",
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
        if scope_rank(default) > scope_rank(fixture.scope):
            # A wider configured loop (say session) outlives the cached value: the project chose
            # that loop for every fixture, and tests on other loops are LD106's business.
            return
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
            fixable=keyword is not decorator
            and self.ctx.qualify(decorator.func) == "pytest_asyncio.fixture"
            and not any(k.arg == "loop_scope" for k in decorator.keywords),
            fix_safety=FixSafety.UNSAFE,
        )
