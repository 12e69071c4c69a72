"""LD504: an in-memory SQLite engine whose pool hands out different (empty) databases.

Each SQLite ``:memory:`` connection is its own database. A pool that opens more than one
connection, or opens one per thread (the sync default, SingletonThreadPool, while TestClient runs
the app in a portal thread), gives the app an empty database: "no such table".
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TYPE_CHECKING

from loopdoctor.astwalk import walk
from loopdoctor.diagnostic import FixSafety, Severity
from loopdoctor.index.facts import FunctionInfo, ModuleInfo
from loopdoctor.knowledge import SYNC_TEST_CLIENT, canonical
from loopdoctor.metadata.engines import EngineSite
from loopdoctor.metadata.sessions import any_engine_site, is_async_engine_call
from loopdoctor.project import ProjectIndex
from loopdoctor.rule import Rule

if TYPE_CHECKING:
    from loopdoctor.fixes import Edit, FixSite

_STATIC = "sqlalchemy.pool.StaticPool"
_PER_THREAD = "sqlalchemy.pool.SingletonThreadPool"
_NO_POOL = "sqlalchemy.pool.NullPool"
#: Keywords only a queue pool accepts: StaticPool raises TypeError on them.
_QUEUE_POOL_KWARGS = ("pool_size", "max_overflow", "pool_timeout", "pool_use_lifo")


class MemorySqliteWithoutStaticPool(Rule):
    code = "LD504"
    name = "memory-sqlite-without-static-pool"
    severity = Severity.ERROR
    summary = (
        "An in-memory SQLite engine whose pool gives other threads or connections a "
        "different, empty database ('no such table')."
    )
    fix_safety = FixSafety.SAFE
    tokens = (b"sqlite",)

    @classmethod
    def fix(cls, site: FixSite) -> Edit | None:
        """``poolclass=StaticPool`` (set or replaced); sync engines also get
        ``connect_args={"check_same_thread": False}`` when they have no ``connect_args``."""
        import libcst as cst

        from loopdoctor.fixes import add_keyword, expression, keyword, keyword_arg

        call = site.node_of(cst.Call)
        ref = site.reference(("sqlalchemy.pool", "sqlalchemy"), "StaticPool")
        if call is None or ref is None:
            return None
        current = keyword_arg(call, "poolclass")
        if current is not None:
            args = [a.with_changes(value=expression(ref)) if a is current else a for a in call.args]
            new = call.with_changes(args=args)
        else:
            new = add_keyword(call, keyword("poolclass", expression(ref)))
        is_async = (site.qualify(call.func) or "").endswith("create_async_engine")
        if not is_async and keyword_arg(call, "connect_args") is None:
            value = expression('{"check_same_thread": False}')
            new = add_keyword(new, keyword("connect_args", value))
        return site.replace(call, new)

    def fixable(self, node: ast.Call, is_async: bool) -> bool:
        """Nothing else configures the pool, and a sync engine has no ``connect_args`` yet."""
        names = [k.arg for k in node.keywords]
        if None in names or any(k in names for k in _QUEUE_POOL_KWARGS):
            return False
        qualname = self.ctx.qualify(node.func) or ""
        if is_async != qualname.endswith("create_async_engine"):
            return False  # the fix tells async from sync by the callee's name
        args = next((k.value for k in node.keywords if k.arg == "connect_args"), None)
        return (
            is_async
            or args is None
            or (
                isinstance(args, ast.Dict)
                and any(
                    isinstance(k, ast.Constant) and k.value == "check_same_thread"
                    for k in args.keys
                )
            )
        )

    def visit_Call(self, node: ast.Call) -> None:
        project, mod = self.ctx.project, self.ctx.module
        site = any_engine_site(project, node, mod)
        if site is None or not site.sqlite_memory or site.url is None:
            return
        is_async = bool(is_async_engine_call(project, node, mod))
        pool = site.poolclass
        if pool in (_STATIC, "dynamic"):
            return
        shared_cache = "cache=shared" in site.url
        if pool is not None and pool != _PER_THREAD:
            if shared_cache and pool != _NO_POOL:
                return  # connections of a shared-cache memory database see the same data
            short = pool.rsplit(".", 1)[-1]
            self.report(
                node,
                f"in-memory SQLite URL `{site.url}` with `poolclass={short}`: every connection "
                "to a memory database is a new, empty database"
                + (
                    " (with NullPool it is closed, and its data lost, at every check-in)"
                    if pool == _NO_POOL
                    else " (the pool opens several)"
                )
                + ", so tables created on one are missing on the next ('no such table'); use "
                "`poolclass=StaticPool`"
                + ("" if is_async else ' with `connect_args={"check_same_thread": False}`'),
                fixable=self.fixable(node, is_async),
            )
            return
        if is_async or shared_cache:
            return  # aiosqlite memory URLs default to StaticPool
        client = _test_client_driving(project, mod, node)
        if client is None:
            return
        client_mod, client_call = client
        self.report(
            node,
            f"in-memory SQLite engine `{site.url}` uses SQLAlchemy's default pool for memory "
            "databases (SingletonThreadPool: one connection, hence one database, per thread), "
            "and the suite drives the app through `TestClient`, which runs it in another "
            "thread: the app gets its own empty database ('no such table'); create it with "
            '`poolclass=StaticPool, connect_args={"check_same_thread": False}`',
            related=[
                self.related(
                    client_call, "TestClient runs the app in a portal thread", client_mod.path
                )
            ],
            fixable=self.fixable(node, is_async),
        )


def _suite_modules(project: ProjectIndex, rootdir: Path) -> list[ModuleInfo]:
    tokens = (b"TestClient", b"testclient", b"dependency_overrides")
    return project.scan(tokens, rootdir, tests_only=True)


def _suite_facts(
    project: ProjectIndex, rootdir: Path
) -> tuple[list[tuple[ModuleInfo, ast.Call]], bool]:
    """TestClient constructions and whether any ``dependency_overrides[...] = ...`` exists."""
    return project.memoised(("ld504-suite", rootdir), lambda: _scan_suite(project, rootdir))


def _scan_suite(
    project: ProjectIndex, rootdir: Path
) -> tuple[list[tuple[ModuleInfo, ast.Call]], bool]:
    clients: list[tuple[ModuleInfo, ast.Call]] = []
    overrides = False
    for mod in _suite_modules(project, rootdir):
        for node in walk(mod.tree):
            if isinstance(node, ast.Call):
                if canonical(project.qualify(node.func, mod)) == SYNC_TEST_CLIENT:
                    clients.append((mod, node))
            elif (
                isinstance(node, ast.Subscript)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Attribute)
                and node.value.attr == "dependency_overrides"
            ):
                overrides = True
            elif (
                isinstance(node, ast.Attribute)
                and node.attr == "dependency_overrides"
                and isinstance(getattr(node, "_ld_parent", None), ast.Attribute)
            ):
                parent = node._ld_parent  # type: ignore[attr-defined]
                overrides = overrides or parent.attr in ("update", "__setitem__")
    return clients, overrides


def _plain_test(mod: ModuleInfo, owner: ast.AST | None) -> FunctionInfo | None:
    """The test function (not a fixture, not a helper) that ``owner`` is, if it is one."""
    if owner is None:
        return None
    for func in mod.functions.values():
        if func.node is owner:
            return func if func.is_test and func.fixture is None else None
    return None


def _test_client_driving(
    project: ProjectIndex, mod: ModuleInfo, call: ast.Call
) -> tuple[ModuleInfo, ast.Call] | None:
    """A TestClient whose app can reach this engine: same function, an override, the app."""
    clients, overrides = _suite_facts(project, mod.rootdir)
    if not clients:
        return None
    owner = getattr(call, "_ld_parent", None)
    while owner is not None and not isinstance(owner, ast.FunctionDef | ast.AsyncFunctionDef):
        owner = getattr(owner, "_ld_parent", None)
    for client_mod, client_call in clients:
        if owner is not None and any(n is client_call for n in walk(owner)):
            return client_mod, client_call
    test = _plain_test(mod, owner)
    if test is not None:
        # An engine local to a test reaches an app only through a client that test gets from
        # its fixtures; a test with no client fixture uses the engine in its own thread.
        for use in project.closure(test, mod):
            for client_mod, client_call in clients:
                if any(n is client_call for n in walk(use.fixture.func.node)):
                    return client_mod, client_call
        return None
    if owner is None and (mod.is_test_module or mod.is_conftest):
        for client_mod, client_call in clients:
            if client_mod is mod:  # a module-level engine and a client in one test module
                return client_mod, client_call
    if (mod.is_test_module or mod.is_conftest) and overrides:
        return clients[0]
    if not (mod.is_test_module or mod.is_conftest) and not overrides:
        from loopdoctor.metadata.engines import EngineHome, EngineUsage, app_of_client

        parent = getattr(call, "_ld_parent", None)
        if owner is None and isinstance(parent, ast.Assign):
            target = parent.targets[0]
            if isinstance(target, ast.Name):
                site = EngineSite(call, mod, None, None, ())
                usage = EngineUsage(project, site, EngineHome("module", var=(mod.path, target.id)))
                for client_mod, client_call in clients:
                    app_mod = app_of_client(project, client_call, client_mod)
                    if app_mod is not None and usage.app_modules_use(app_mod):
                        return client_mod, client_call
    return None
