"""LD106: a test and an async fixture it uses run on different loops; loop/cache scope clash."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from loopdoctor.astwalk import walk
from loopdoctor.diagnostic import Related, Severity
from loopdoctor.index.extract import iter_own_nodes
from loopdoctor.index.facts import FunctionInfo
from loopdoctor.knowledge import (
    ASYNC_CLIENT,
    ASYNC_ENGINE,
    ASYNC_SESSIONMAKER,
    LOOP_BOUND_TYPES,
    scope_rank,
)
from loopdoctor.metadata.loops import has_runner_hook, produces_value, test_runner
from loopdoctor.project import FixtureDef, FixtureUse
from loopdoctor.rule import Rule


@dataclass(frozen=True)
class Clash:
    """An async fixture whose value is used on another loop than the one that made it."""

    use: FixtureUse
    loop: str  # the fixture's loop scope
    consumer: str  # "the test" or "fixture `x`"
    consumer_loop: str
    value_type: str | None
    bound: bool


class LoopScopeMismatch(Rule):
    code = "LD106"
    name = "loop-scope-mismatch"
    severity = Severity.ERROR
    summary = (
        "A test uses an async fixture whose loop-bound value was made on another event loop, "
        "or an async fixture is cached longer than its loop lives."
    )
    tokens = (b"async def",)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        func = self.ctx.function_info(node)
        if func is None:
            return
        if func.fixture is not None:
            self.check_cache_scope(node, func)
        elif func.is_test and not func.is_generator:
            self.check_test(node, func)

    # -- an async fixture cached longer than its loop ------------------------------------------
    def check_cache_scope(self, node: ast.AsyncFunctionDef, func: FunctionInfo) -> None:
        project = self.ctx.project
        fixture = FixtureDef(func, func.fixture, self.ctx.module)  # type: ignore[arg-type]
        if not project.fixture_runs_async(fixture):
            return
        if not project.asyncio_env(self.ctx.module).plugin_active:
            return
        cache = fixture.info.scope
        loop = project.fixture_loop_scope(fixture)
        if "dynamic" in (cache, loop) or scope_rank(cache) <= scope_rank(loop):
            return
        env = project.asyncio_env(self.ctx.module)
        source = (
            f'`loop_scope="{loop}"`'
            if fixture.info.explicit_loop_scope
            else (
                f"`asyncio_default_fixture_loop_scope = {loop}`"
                if env.settings.default_fixture_loop_scope
                else f"the {loop}-scoped `event_loop` fixture"
            )
        )
        self.report(
            node,
            f"async fixture `{fixture.name}` is cached for the {cache} scope but its loop scope "
            f"is {loop} ({source}): pytest-asyncio refuses it at setup (ScopeMismatch), and a "
            f"cached value would outlive its loop ('Event loop is closed'); set "
            f'`loop_scope="{cache}"` (or narrow `scope`)',
            at_name=True,
        )

    # -- a test on another loop than its fixtures ----------------------------------------------
    def check_test(self, node: ast.AsyncFunctionDef, func: FunctionInfo) -> None:
        ctx = self.ctx
        project = ctx.project
        env = project.asyncio_env(ctx.module)
        if env.legacy_event_loop:
            return  # before 0.23 every test and fixture shared the `event_loop` fixture's loop
        if has_runner_hook(project, ctx.module):
            return  # a conftest hook may re-mark tests with another loop scope
        if test_runner(project, func, ctx.module) != "asyncio":
            return
        test_loop = project.test_loop_scope(func, ctx.module)
        if test_loop == "dynamic":
            return
        closure = project.closure(func, ctx.module)
        by_name = {use.fixture.name: use for use in closure}
        clashes: list[Clash] = []
        for use in closure:
            clash = self.clash(use, closure, by_name, func, test_loop)
            if clash is not None:
                clashes.append(clash)
        if not clashes:
            return
        bound = [c for c in clashes if c.bound]
        shown = bound or clashes
        first = shown[0]
        related = [self.related_for(c) for c in shown]
        others = [f"`{c.use.fixture.name}`" for c in shown[1:]]
        also = f" (also: {', '.join(others)})" if others else ""
        via = f" (via {' -> '.join(first.use.chain)})" if len(first.use.chain) > 1 else ""
        if bound:
            value = first.value_type or "value"
            message = (
                f"test `{func.name}` runs on a {test_loop}-scoped loop and depends on async "
                f"fixture `{first.use.fixture.name}`{via}, set up on a "
                f"{first.loop}-scoped loop: its `{value}` is bound to that loop, but "
                f"{first.consumer} uses it on a {first.consumer_loop}-scoped loop ('attached to "
                f"a different loop', 'Event loop is closed'){also}; give them the same "
                f'`loop_scope` (e.g. `loop_scope="{first.loop}"` on the test and fixtures)'
            )
            self.report(node, message, related=related, at_name=True)
            return
        # A latent mismatch is a fact about the fixture: say it once, at the first test that
        # shows it (by path and line, so the choice does not depend on the order of checking).
        here = (str(ctx.module.path), node.lineno)
        mine = [c for c in shown if self.latent_witnesses(c.use.fixture)[:1] == [here]]
        if not mine:
            return
        first = mine[0]
        related = [self.related_for(c) for c in mine]
        others = [f"`{c.use.fixture.name}`" for c in mine[1:]]
        also = f" (also: {', '.join(others)})" if others else ""
        more = len(self.latent_witnesses(first.use.fixture)) - 1
        elsewhere = f"; {more} more test{'s' if more != 1 else ''} share this" if more else ""
        message = (
            f"test `{func.name}` runs on a {test_loop}-scoped loop but requests async fixture "
            f"`{first.use.fixture.name}`, which runs on a {first.loop}-scoped loop{also}: its "
            "value is not known to be loop-bound, so this is latent, but anything it creates "
            f"on its loop breaks when used here; align `loop_scope`{elsewhere}"
        )
        self.report(node, message, related=related, severity=Severity.INFO, at_name=True)

    def latent_witnesses(self, fixture: FixtureDef) -> list[tuple[str, int]]:
        """Every test (path, line) where ``fixture`` is a latent loop mismatch, sorted."""
        key = ("ld106-latent", id(fixture.func.node))
        return self.ctx.project.memoised(key, lambda: self._latent_witnesses(fixture))

    def _latent_witnesses(self, fixture: FixtureDef) -> list[tuple[str, int]]:
        project = self.ctx.project
        found: list[tuple[str, int]] = []
        for mod, test in list(project.iter_tests((b"async",))):
            if mod.rootdir != fixture.module.rootdir or not test.is_async:
                continue
            if project.asyncio_env(mod).legacy_event_loop or has_runner_hook(project, mod):
                continue
            if test_runner(project, test, mod) != "asyncio":
                continue
            test_loop = project.test_loop_scope(test, mod)
            if test_loop == "dynamic":
                continue
            closure = project.closure(test, mod)
            by_name = {use.fixture.name: use for use in closure}
            for use in closure:
                if use.fixture.func is fixture.func:
                    clash = self.clash(use, closure, by_name, test, test_loop)
                    if clash is not None and not clash.bound:
                        found.append((str(mod.path), test.node.lineno))
        found.sort()
        return found

    def clash(
        self,
        use: FixtureUse,
        closure: list[FixtureUse],
        by_name: dict[str, FixtureUse],
        test: FunctionInfo,
        test_loop: str,
    ) -> Clash | None:
        project = self.ctx.project
        fixture = use.fixture
        if not project.fixture_runs_async(fixture) or not produces_value(fixture.func):
            return None
        loop = project.fixture_loop_scope(fixture)
        if "dynamic" in (loop, fixture.info.scope):
            return None
        if scope_rank(fixture.info.scope) > scope_rank(loop):
            return None  # ScopeMismatch at setup, reported at the fixture itself
        value_type = self.ctx.types.return_type(fixture.func, fixture.module)
        if value_type == ASYNC_ENGINE:
            return None  # LD501 owns engines that outlive their loop
        # A sessionmaker holds no connection itself: its engine's pool is LD501's business.
        bound = (
            value_type in LOOP_BOUND_TYPES
            and value_type != ASYNC_SESSIONMAKER
            and not _asgi_client(fixture, value_type, by_name)
        )
        # Who receives the value: the test (direct request) or fixtures that request it.
        consumers: list[tuple[str, str | None]] = []
        if fixture.name in test.params:
            consumers.append(("the test", test_loop))
        for other in closure:
            if other is use or fixture.name not in other.fixture.func.params:
                continue
            if by_name.get(fixture.name) is not use:
                continue
            if project.fixture_runs_async(other.fixture):
                consumers.append(
                    (f"fixture `{other.fixture.name}`", project.fixture_loop_scope(other.fixture))
                )
            else:
                consumers.append((f"fixture `{other.fixture.name}`", None))
        for consumer, consumer_loop in consumers:
            if consumer_loop is None or consumer_loop == "dynamic" or consumer_loop == loop:
                continue
            if not bound and consumer != "the test":
                continue
            return Clash(use, loop, consumer, consumer_loop, value_type, bound)
        return None

    def related_for(self, clash: Clash) -> Related:
        fixture = clash.use.fixture
        via = f" (requested via {' -> '.join(clash.use.chain)})" if len(clash.use.chain) > 1 else ""
        return self.related(
            fixture.func.node,
            f"async fixture `{fixture.name}` runs on a {clash.loop}-scoped loop{via}",
            fixture.module.path,
        )


def _asgi_client(
    fixture: FixtureDef, value_type: str | None, by_name: dict[str, FixtureUse] | None = None
) -> bool:
    """An AsyncClient over ASGITransport holds no pooled connections of its own.

    The client may be built by a factory fixture the fixture requests (``get_test_client``
    returning an inner ``async def`` that opens the client): its whole body is searched too.
    """
    if value_type != ASYNC_CLIENT:
        return False
    nodes = list(iter_own_nodes(fixture.func.node))
    for param in fixture.func.params:
        helper = (by_name or {}).get(param)
        if helper is not None and helper.fixture is not fixture:
            nodes.extend(walk(helper.fixture.func.node))
    for node in nodes:
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "app":
                    return True
                if keyword.arg == "transport" and "ASGITransport" in ast.unparse(keyword.value):
                    return True
        if isinstance(node, ast.Name) and node.id == "ASGITransport":
            return True
        if isinstance(node, ast.Attribute) and node.attr == "ASGITransport":
            return True  # transport = httpx.ASGITransport(app)
    return False
