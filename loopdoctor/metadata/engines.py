"""Async SQLAlchemy engines: where they are created, whether their pool keeps connections, and
which tests and fixtures use them on which event loops.

A pooled connection is bound to the loop that opened it. An engine that outlives that loop hands
the connection to a test running on another loop: "attached to a different loop", then "another
operation is in progress" (runtime-facts §3). LD501 and LD605 are built on this module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from loopdoctor.astwalk import walk
from loopdoctor.index.extract import dotted, iter_own_nodes
from loopdoctor.index.facts import FunctionInfo, ModuleInfo, VarInfo
from loopdoctor.knowledge import (
    CREATE_ASYNC_ENGINE,
    POOLED_ASYNC_DRIVERS,
    canonical,
)
from loopdoctor.metadata.strings import static_string
from loopdoctor.project import FixtureDef, ProjectIndex

CLIENT_FACTORIES = {
    "httpx.ASGITransport": "ASGITransport",
    "httpx.AsyncClient": "AsyncClient(app=...)",
    "starlette.testclient.TestClient": "TestClient",
    "asgi_lifespan.LifespanManager": "LifespanManager",
}
_NO_POOL = "sqlalchemy.pool.NullPool"
_STATIC_POOL = "sqlalchemy.pool.StaticPool"
_CACHE_DECORATORS = ("functools.lru_cache", "functools.cache", "lru_cache", "cache")


# -- engine sites --------------------------------------------------------------------------------
@dataclass(frozen=True)
class EngineSite:
    """One ``create_async_engine(...)`` call and what can be known about its pool statically."""

    call: ast.Call
    module: ModuleInfo
    url: str | None
    poolclass: str | None  # canonical class name, "dynamic", or None when not given
    pool_kwargs: tuple[str, ...]

    @property
    def dialect(self) -> str | None:
        if self.url is None or "://" not in self.url:
            return None
        scheme = self.url.split("://", 1)[0]
        return scheme.split("+", 1)[0] if scheme and "{" not in scheme else None

    @property
    def driver(self) -> str | None:
        if self.url is None or "://" not in self.url:
            return None
        scheme = self.url.split("://", 1)[0]
        if "{" in scheme:
            return None
        if "+" in scheme:
            return scheme.split("+", 1)[1]
        return {"postgresql": "psycopg2", "sqlite": "pysqlite", "mysql": "mysqldb"}.get(scheme)

    @property
    def sqlite_memory(self) -> bool:
        if self.dialect != "sqlite" or self.url is None:
            return False
        rest = self.url.split("://", 1)[1]
        return rest in ("", "/") or ":memory:" in rest or "mode=memory" in rest


def engine_site(project: ProjectIndex, call: ast.Call, mod: ModuleInfo) -> EngineSite | None:
    if canonical(project.qualify(call.func, mod)) != CREATE_ASYNC_ENGINE:
        return None
    url_expr = call.args[0] if call.args else None
    kwargs = {k.arg: k.value for k in call.keywords if k.arg}
    url_expr = kwargs.get("url", url_expr)
    poolclass = None
    if "poolclass" in kwargs:
        value = kwargs["poolclass"]
        name = canonical(project.qualify(value, mod))
        if name is not None and name.rsplit(".", 1)[-1].endswith("Pool"):
            poolclass = "sqlalchemy.pool." + name.rsplit(".", 1)[-1]
        else:
            poolclass = "dynamic"
    if any(k.arg is None for k in call.keywords):
        poolclass = poolclass or "dynamic"  # **engine_kwargs may carry a poolclass
    pool_kwargs = tuple(k for k in ("pool_size", "max_overflow") if k in kwargs)
    url = static_string(project, url_expr, mod)
    return EngineSite(call, mod, url, poolclass, pool_kwargs)


@dataclass(frozen=True)
class PoolVerdict:
    pooled: bool | None  # None: cannot tell statically
    description: str  # e.g. "asyncpg's default AsyncAdaptedQueuePool"
    #: aiosqlite completes futures on the awaiting loop: only pool contention fails (facts §1e2).
    contention_only: bool = False


def pool_verdict(project: ProjectIndex, site: EngineSite) -> PoolVerdict:
    """Does this engine keep connections between checkouts (and so between event loops)?"""
    if site.poolclass == _NO_POOL:
        return PoolVerdict(False, "NullPool")
    if site.poolclass == "dynamic":
        return PoolVerdict(None, "a pool class chosen at run time")
    if site.poolclass == _STATIC_POOL:
        if site.dialect == "sqlite":
            return PoolVerdict(False, "StaticPool over SQLite")
        return PoolVerdict(True, "StaticPool (one connection kept for the engine's lifetime)")
    if site.poolclass is not None:
        return PoolVerdict(True, site.poolclass.rsplit(".", 1)[-1])
    driver = site.driver
    if driver in POOLED_ASYNC_DRIVERS:
        return PoolVerdict(True, f"{driver}'s default AsyncAdaptedQueuePool")
    if site.pool_kwargs and site.dialect != "sqlite":
        return PoolVerdict(True, f"a queue pool ({', '.join(site.pool_kwargs)} given)")
    if site.dialect == "sqlite":
        if site.sqlite_memory:
            return PoolVerdict(False, "StaticPool (aiosqlite's default for memory databases)")
        version = project.version("sqlalchemy", site.module)
        if version.at_least(2, 1):
            return PoolVerdict(
                True,
                f"AsyncAdaptedQueuePool (aiosqlite file default in {version.describe()})",
                contention_only=True,
            )
        return PoolVerdict(False, f"NullPool (aiosqlite file default in {version.describe()})")
    if driver in POOLED_ASYNC_DRIVERS:
        return PoolVerdict(True, f"{driver}'s default AsyncAdaptedQueuePool")
    if site.url is None or driver is None:
        return PoolVerdict(
            True,
            "the default AsyncAdaptedQueuePool (URL not known statically; every async "
            "driver but aiosqlite pools by default)",
        )
    return PoolVerdict(None, f"{driver}'s default pool")


# -- where does the engine live? -------------------------------------------------------------------
@dataclass(frozen=True)
class EngineHome:
    kind: str  # "module" | "fixture" | "local"
    var: tuple[Path, str] | None = None  # module-level variable that holds it
    fixture: FixtureDef | None = None
    function: FunctionInfo | None = None


def engine_home(project: ProjectIndex, call: ast.Call, mod: ModuleInfo) -> EngineHome:
    parent = getattr(call, "_ld_parent", None)
    owner: ast.AST | None = parent
    while owner is not None and not isinstance(
        owner, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
    ):
        owner = getattr(owner, "_ld_parent", None)
    if owner is None or isinstance(owner, ast.ClassDef):
        var = None
        if isinstance(parent, ast.Assign | ast.AnnAssign):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    var = (mod.path, target.id)
        return EngineHome("module", var=var)
    func = next((f for f in mod.functions.values() if f.node is owner), None)
    if func is None:
        return EngineHome("local")
    if func.fixture is not None:
        return EngineHome("fixture", fixture=FixtureDef(func, func.fixture, mod), function=func)
    if any(name in _CACHE_DECORATORS for name in func.decorator_names) or _assigns_global(owner):
        return EngineHome("module", var=(mod.path, func.name), function=func)
    return EngineHome("local", function=func)


def _assigns_global(func: ast.AST) -> bool:
    return any(isinstance(n, ast.Global) for n in iter_own_nodes(func))


# -- who uses it -----------------------------------------------------------------------------------
@dataclass
class Consumer:
    """A test that uses an engine, the loop it runs on, and how it reaches the engine."""

    module: ModuleInfo
    test: FunctionInfo
    loop_scope: str
    via: str
    loop_key: tuple[str, ...] = field(default=())
    #: A ``TestClient`` used without ``with``: every request runs on a new portal loop.
    loop_per_request: bool = False
    #: Loops of the async fixtures through which the test reaches the engine.
    fixture_loops: list[tuple[str, ...]] = field(default_factory=list)


class EngineUsage:
    """Whole-project usage analysis for one engine, memoised on the project index."""

    def __init__(self, project: ProjectIndex, site: EngineSite, home: EngineHome) -> None:
        self.project = project
        self.site = site
        self.home = home
        self.symbols: set[tuple[Path, str]] = set()
        if home.var is not None:
            self.symbols.add(home.var)
            self._derive_symbols()
        self._func_memo: dict[int, bool] = {}

    # module-level variables built from the engine: sessionmakers, bound sessions, wrappers
    def _derive_symbols(self) -> None:
        for _ in range(3):
            added = False
            for mod in list(self.project.modules.values()):
                for var in mod.variables.values():
                    key = (mod.path, var.name)
                    if key in self.symbols:
                        continue
                    if self._expr_uses(var.value, mod):
                        self.symbols.add(key)
                        added = True
            if not added:
                break

    def _resolve_symbol(self, expr: ast.AST, mod: ModuleInfo) -> tuple[Path, str] | None:
        found = self.project.resolve_expr(expr, mod)
        if found is None:
            return None
        if found.kind == "variable":
            var: VarInfo = found.obj  # type: ignore[assignment]
            return (found.module.path, var.name)
        if found.kind == "function":
            return (found.module.path, found.obj.name)  # type: ignore[union-attr]
        return None

    def _expr_uses(self, expr: ast.AST, mod: ModuleInfo) -> bool:
        for node in walk(expr):
            if isinstance(node, ast.Name | ast.Attribute) and isinstance(
                getattr(node, "ctx", None), ast.Load
            ):
                if dotted(node) is None:
                    continue
                if self._resolve_symbol(node, mod) in self.symbols:
                    return True
        return False

    def function_uses(self, func: FunctionInfo, mod: ModuleInfo, depth: int = 0) -> bool:
        """The function's body touches the engine, directly or through project helpers."""
        key = id(func.node)
        if key in self._func_memo:
            return self._func_memo[key]
        self._func_memo[key] = False
        result = False
        for node in iter_own_nodes(func.node):
            if isinstance(node, ast.Name | ast.Attribute) and isinstance(
                getattr(node, "ctx", None), ast.Load
            ):
                if self._resolve_symbol(node, mod) in self.symbols:
                    result = True
                    break
            if depth < 4 and isinstance(node, ast.Call):
                found = self.project.resolve_expr(node.func, mod)
                callee = found.function if found else None
                if callee is not None and callee is not func:
                    if self.function_uses(callee, found.module, depth + 1):  # type: ignore[union-attr]
                        result = True
                        break
        self._func_memo[key] = result
        return result

    def app_modules_use(self, app_module: ModuleInfo) -> bool:
        """The app's module imports (transitively, inside the project) the engine's module."""
        targets = {path for path, _ in self.symbols}
        seen: set[Path] = set()
        stack = [app_module]
        while stack:
            mod = stack.pop()
            if mod.path in seen:
                continue
            seen.add(mod.path)
            if mod.path in targets:
                return True
            for qualname in set(mod.imports.values()) | set(mod.star_imports):
                found = self.project.resolve(qualname, mod)
                if found is None:
                    parts = qualname.rsplit(".", 1)
                    found = self.project.resolve(parts[0], mod) if len(parts) == 2 else None
                if found is not None and found.module.path not in seen:
                    stack.append(found.module)
        return False

    def overridden_dependencies(self, rootdir: Path) -> bool:
        """Test code replaces a dependency that reaches the engine (``dependency_overrides``)."""
        key = ("overrides", id(self), rootdir)
        return self.project.memoised(key, lambda: self._overridden(rootdir))

    def _overridden(self, rootdir: Path) -> bool:
        result = False
        for mod in self.project.scan((b"dependency_overrides",), rootdir, tests_only=True):
            for node in walk(mod.tree):
                if not (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute)):
                    continue
                if node.value.attr != "dependency_overrides":
                    continue
                found = self.project.resolve_expr(node.slice, mod)
                func = found.function if found else None
                if func is not None and self.function_uses(func, found.module):  # type: ignore[union-attr]
                    result = True
        return result


def app_of_client(project: ProjectIndex, call: ast.Call, mod: ModuleInfo) -> ModuleInfo | None:
    """For ``ASGITransport(app=app)`` / ``TestClient(app)``: the module that defines the app."""
    name = canonical(project.qualify(call.func, mod))
    if name not in CLIENT_FACTORIES:
        return None
    app_expr = None
    for kw in call.keywords:
        if kw.arg == "app":
            app_expr = kw.value
    if app_expr is None and call.args and name != "httpx.AsyncClient":
        app_expr = call.args[0]
    if app_expr is None:
        return None
    if isinstance(app_expr, ast.Call):
        app_expr = app_expr.func
    found = project.resolve_expr(app_expr, mod)
    return found.module if found is not None else None


def client_constructions(func: FunctionInfo) -> Iterable[ast.Call]:
    for node in iter_own_nodes(func.node):
        if isinstance(node, ast.Call):
            yield node


# -- loops that use an engine --------------------------------------------------------------------
def loop_key(
    scope: str, mod: ModuleInfo, test: FunctionInfo, custom: bool = False
) -> tuple[str, ...]:
    """Identity of the loop instance a test runs on, for a given loop scope.

    ``custom``: the loop is the project's own ``event_loop`` fixture (pytest-asyncio < 1.0),
    a different loop from the plugin's loop of the same scope.
    """
    if custom:
        return ("event_loop", *loop_key(scope, mod, test))
    if scope == "session":
        return ("session",)
    if scope == "package":
        return ("package", str(mod.path.parent))
    if scope == "module":
        return ("module", str(mod.path))
    if scope == "class" and test.class_name:
        return ("class", str(mod.path), test.class_name)
    return ("function", str(mod.path), test.qualname)


def lifetime_key(scope: str, mod: ModuleInfo, test: FunctionInfo) -> tuple[str, ...]:
    """Identity of one instance of a fixture with cache scope ``scope`` as seen by a test."""
    return loop_key(scope, mod, test)


@dataclass
class EngineAnalysis:
    site: EngineSite
    verdict: PoolVerdict
    home: EngineHome
    consumers: list[Consumer]
    #: lifetime instance -> distinct loop instances that used the engine during it
    groups: dict[tuple[str, ...], dict[tuple[str, ...], Consumer]]
    fixture_loop: tuple[str, ...] | None = None

    @property
    def crosses_loops(self) -> bool:
        return any(len(loops) >= 2 for loops in self.groups.values())

    def conflicting(self) -> list[Consumer]:
        for loops in self.groups.values():
            if len(loops) >= 2:
                return list(loops.values())
        return []


#: Extraction keeps an engine call only when it qualifies to ``create_async_engine``.
ENGINE_TOKENS = (b"create_async_engine",)


def all_engine_sites(project: ProjectIndex) -> list[EngineSite]:
    """Engine sites in every indexed module (recorded at extraction: no tree walks here)."""
    return project.memoised(("engine-sites",), lambda: _engine_sites(project))


def _engine_sites(project: ProjectIndex) -> list[EngineSite]:
    sites = []
    for mod in project.scan(ENGINE_TOKENS):
        for call in mod.engine_calls:
            site = engine_site(project, call, mod)
            if site is not None:
                sites.append(site)
    return sites


def analyse_engine(project: ProjectIndex, site: EngineSite) -> EngineAnalysis | None:
    """The loops an engine is used on during each instance of its lifetime; None if irrelevant."""
    return project.memoised(("engine", id(site.call)), lambda: _analyse_engine(project, site))


def _analyse_engine(project: ProjectIndex, site: EngineSite) -> EngineAnalysis | None:
    verdict = pool_verdict(project, site)
    home = engine_home(project, site.call, site.module)
    if not verdict.pooled or home.kind == "local":
        return None
    if (
        home.kind == "fixture"
        and home.fixture is not None
        and home.fixture.info.scope
        in (
            "function",
            "dynamic",
        )
    ):
        return None
    usage = EngineUsage(project, site, home)
    rootdir = site.module.rootdir
    overridden = usage.overridden_dependencies(rootdir) if home.kind == "module" else True
    consumers: list[Consumer] = []
    groups: dict[tuple[str, ...], dict[tuple[str, ...], Consumer]] = {}
    fixture_loop = None
    for mod, test in list(project.iter_tests()):
        if mod.rootdir != rootdir:
            continue
        consumer = _consumer(project, usage, mod, test, overridden)
        if consumer is None:
            continue
        consumers.append(consumer)
        if home.kind == "fixture" and home.fixture is not None:
            lifetime = lifetime_key(home.fixture.info.scope, mod, test)
            loops = groups.setdefault(lifetime, {})
            if home.fixture.is_async and _awaits(home.fixture.func):
                scope = project.fixture_loop_scope(home.fixture)
                custom = project.custom_event_loop(
                    project.raw_fixture_loop_scope(home.fixture),
                    home.fixture.func,
                    home.fixture.module,
                )
                fixture_loop = loop_key(scope, home.fixture.module, test, custom is not None)
                loops.setdefault(fixture_loop, consumer)
        else:
            loops = groups.setdefault(("process",), {})
        loops.setdefault(consumer.loop_key, consumer)
        for fixture_loop_key in consumer.fixture_loops:
            loops.setdefault(fixture_loop_key, consumer)
    analysis = EngineAnalysis(site, verdict, home, consumers, groups, fixture_loop)
    return analysis


def _awaits(func: FunctionInfo) -> bool:
    return any(isinstance(n, ast.Await | ast.AsyncWith) for n in iter_own_nodes(func.node))


def _consumer(
    project: ProjectIndex,
    usage: EngineUsage,
    mod: ModuleInfo,
    test: FunctionInfo,
    overridden: bool,
) -> Consumer | None:
    closure = project.closure(test, mod)
    via: str | None = None
    client_kind: str | None = None
    fixture_loops: list[tuple[str, ...]] = []
    home = usage.home
    if home.kind == "fixture" and home.fixture is not None:
        for use in closure:
            if use.fixture.func is home.fixture.func:
                via = " -> ".join(f"`{n}`" for n in use.chain)
                break
        if via is not None and not test.is_async:
            client_kind = _test_client_kind(project, mod, test, closure)
    else:
        if usage.function_uses(test, mod):
            via = "the test body"
        for use in closure:
            if usage.function_uses(use.fixture.func, use.fixture.module):
                via = via or "fixture " + " -> ".join(f"`{n}`" for n in use.chain)
                if project.fixture_runs_async(use.fixture):
                    fixture_loops.append(_fixture_loop_key(project, use.fixture, test))
        if via is None and not overridden:
            found = _client_over_app(project, usage, mod, test, closure)
            if found is not None:
                via, client_kind = found
    if via is None:
        return None
    if test.is_async:
        runner = project.async_runner(test, mod)
        if runner is None:
            return None
        scope = project.test_loop_scope(test, mod) if runner == "asyncio" else "function"
        custom = runner == "asyncio" and (
            project.custom_event_loop(project.raw_test_loop_scope(test, mod), test, mod) is not None
        )
    elif client_kind is not None and client_kind.startswith("TestClient"):
        scope = "function"  # the app runs on a portal loop per test (or per request)
        custom = False
    else:
        return None
    consumer = Consumer(mod, test, scope, via, loop_key(scope, mod, test, custom))
    consumer.loop_per_request = client_kind == "TestClient-per-request"
    consumer.fixture_loops = fixture_loops
    return consumer


def _fixture_loop_key(project: ProjectIndex, fixture: FixtureDef, test: FunctionInfo) -> tuple:
    """The loop an async fixture runs on, as seen from one test that uses it."""
    raw = project.raw_fixture_loop_scope(fixture)
    custom = project.custom_event_loop(raw, fixture.func, fixture.module)
    scope = custom.info.scope if custom is not None else raw
    return loop_key(scope, fixture.module, test, custom is not None)


def _client_sources(
    project: ProjectIndex, mod: ModuleInfo, test: FunctionInfo, closure: list
) -> list[tuple[ast.Call, ModuleInfo, str]]:
    """Calls that may build a client: in the test, its fixtures, or module-level variables."""
    sources: list[tuple[ast.Call, ModuleInfo, str]] = []
    for call in client_constructions(test):
        sources.append((call, mod, "the test"))
    for use in closure:
        for call in client_constructions(use.fixture.func):
            sources.append((call, use.fixture.module, f"fixture `{use.fixture.name}`"))
    for node in iter_own_nodes(test.node):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            found = project.resolve_expr(node, mod)
            if found is not None and found.kind == "variable":
                value = found.obj.value  # type: ignore[union-attr]
                if isinstance(value, ast.Call):
                    sources.append((value, found.module, f"module-level `{node.id}`"))
    return sources


def _client_kind(project: ProjectIndex, call: ast.Call, fmod: ModuleInfo) -> str:
    if canonical(project.qualify(call.func, fmod)) == "starlette.testclient.TestClient":
        in_with = isinstance(getattr(call, "_ld_parent", None), ast.withitem)
        return "TestClient" if in_with else "TestClient-per-request"
    return "client"


def _test_client_kind(
    project: ProjectIndex, mod: ModuleInfo, test: FunctionInfo, closure: list
) -> str | None:
    """How a sync test drives an app: through a TestClient (a portal loop per test/request)."""
    for call, fmod, _label in _client_sources(project, mod, test, closure):
        kind = _client_kind(project, call, fmod)
        if kind.startswith("TestClient"):
            return kind
    return None


def _client_over_app(
    project: ProjectIndex,
    usage: EngineUsage,
    mod: ModuleInfo,
    test: FunctionInfo,
    closure: list,  # list[FixtureUse]
) -> tuple[str, str] | None:
    """A client over the app under test, built in the test, a fixture or at module level."""
    for call, fmod, label in _client_sources(project, mod, test, closure):
        app_mod = app_of_client(project, call, fmod)
        if app_mod is None or not usage.app_modules_use(app_mod):
            continue
        kind = _client_kind(project, call, fmod)
        return f"the app under test (client built in {label})", kind
    return None
