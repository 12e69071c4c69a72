"""LD502: a fixture creates an engine and nothing disposes it in teardown.

A fixture that ``return``s the AsyncEngine belongs to LD203 (it owns the ``return`` shape of
every resource; yielded engines are LD502's): this rule runs LD203's check on the same fixture
and stays silent when it fires, so one fixture never gets both codes.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from loopdoctor.astwalk import walk
from loopdoctor.diagnostic import Severity
from loopdoctor.index.extract import dotted, iter_own_nodes
from loopdoctor.index.facts import FunctionInfo, ModuleInfo
from loopdoctor.metadata.sessions import (
    any_engine_site,
    engine_factory_function,
    is_async_engine_call,
    session_construct_kind,
)
from loopdoctor.project import FixtureDef, ProjectIndex
from loopdoctor.rule import Rule

if TYPE_CHECKING:
    from loopdoctor.context import FileContext
from loopdoctor.rules.ld203_unclosed_fixture_resource import UnclosedFixtureResource

_TEARDOWN_ATTRS = frozenset(
    {"addfinalizer", "enter_async_context", "enter_context", "push_async_callback", "callback"}
)
_CLOSE_WORDS = ("dispose", "close", "shutdown", "teardown", "cleanup", "disconnect", "stop")


class EngineNotDisposed(Rule):
    code = "LD502"
    name = "engine-not-disposed"
    severity = Severity.WARNING
    summary = "A fixture creates an engine and never disposes it in teardown (leaked pool)."
    tokens = (b"create_async_engine", b"create_engine", b"engine_from_config", b"engine")
    requires = ((b"fixture",),)
    holders: set[str] = set()
    engine_vars: dict[int, str] = {}

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        ctx = self.ctx
        func = ctx.function_info(node)
        if func is None or func.fixture is None:
            return
        created = self.created_engines(func)
        if not created:
            return
        self.holders = _holders(func, created, self.ctx)
        self.engine_vars = _engine_vars(func, created)
        self.disposed_vars: set[str] = set()
        if self.disposed_in(node, depth=0) or self.escapes(func, created):
            return
        created = [
            item for item in created if self.engine_vars.get(id(item[0])) not in self.disposed_vars
        ]
        if not created:
            return
        if self.disposed_by_dependents(func):
            return
        probe = UnclosedFixtureResource(ctx)
        probe.visit_FunctionDef(node)
        if probe.findings:
            return  # LD203 owns a returned / bare-yielded engine
        call, is_async, via = created[0]
        fixture = func.fixture
        scope = fixture.scope if fixture.scope != "dynamic" else "dynamically"
        how = "`await engine.dispose()`" if is_async else "`engine.dispose()`"
        consequence = (
            "its pooled connections are left for the garbage collector, after the fixture's "
            "event loop may be closed ('Event loop is closed', 'The garbage collector is trying "
            "to clean up non-checked-in connection', ResourceWarning: unclosed connection)"
            if is_async
            else "its pooled connections stay open until garbage collection (ResourceWarning, "
            "'too many connections' on a real server, locked SQLite files)"
        )
        where = f" (built by `{via}`)" if via else ""
        self.report(
            call,
            f"{'async ' if is_async else ''}engine created in {scope}-scoped fixture "
            f"`{fixture.name}`{where} is never disposed: {consequence}; call {how} after the "
            "`yield` (or in a `finally`)",
        )

    visit_AsyncFunctionDef = visit_FunctionDef

    # -- what the fixture creates ------------------------------------------------------------------
    def created_engines(self, func: FunctionInfo) -> list[tuple[ast.Call, bool, str | None]]:
        project, mod = self.ctx.project, self.ctx.module
        out: list[tuple[ast.Call, bool, str | None]] = []
        for node in iter_own_nodes(func.node):
            if not isinstance(node, ast.Call):
                continue
            kind = is_async_engine_call(project, node, mod)
            if kind is not None:
                if not kind and _sync_memory_sqlite(project, node, mod):
                    continue  # nothing outside the process to leak
                out.append((node, kind, None))
                continue
            helper = engine_factory_function(project, node, mod)
            if helper is not None:
                hfunc, hmod, hcall = helper
                out.append((node, bool(is_async_engine_call(project, hcall, hmod)), hfunc.name))
        out.sort(key=lambda item: (item[0].lineno, item[0].col_offset))
        return out

    # -- ways an engine gets disposed ------------------------------------------------------------
    def disposed_in(self, node: ast.AST, depth: int, mod: ModuleInfo | None = None) -> bool:
        """The body (nested defs included) disposes something or registers a teardown."""
        mod = mod or self.ctx.module
        project = self.ctx.project
        for child in walk(node):
            if not isinstance(child, ast.Call):
                continue
            func = child.func
            if isinstance(func, ast.Attribute):
                root = (dotted(func.value) or "").split(".", 1)[0]
                if func.attr == "dispose" and depth == 0 and root in self.engine_vars.values():
                    self.disposed_vars.add(root)  # this engine, not necessarily the others
                    continue
                if func.attr == "dispose" or func.attr in _TEARDOWN_ATTRS:
                    return True
            elif isinstance(func, ast.Name) and func.id == "dispose":
                return True
            if depth < 3:
                found = project.resolve_expr(func, mod)
                callee = found.function if found else None
                if callee is not None and callee.node is not node and found is not None:
                    if self.disposed_in(callee.node, depth + 1, found.module):
                        return True
                elif callee is None and found is None:
                    name = (dotted(func) or "").rsplit(".", 1)[-1].lower()
                    if any(word in name for word in _CLOSE_WORDS) and _mentions(
                        child, self.holders
                    ):
                        return True
        return False

    def escapes(self, func: FunctionInfo, created: list[tuple[ast.Call, bool, str | None]]) -> bool:
        """The engine is stored beyond the fixture (a global, an attribute): disposal elsewhere."""
        names = set()
        calls = {id(c) for c, _, _ in created}
        for node in iter_own_nodes(func.node):
            if isinstance(node, ast.Global):
                return True
            if isinstance(node, ast.Assign) and id(node.value) in calls:
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        names.add(target.id)
                    else:
                        return True  # self.engine = ..., holder["engine"] = ...
        for node in iter_own_nodes(func.node):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name):
                if node.value.id in names and not all(
                    isinstance(t, ast.Name) for t in node.targets
                ):
                    return True
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in ("setattr", "append", "add") and any(
                    isinstance(a, ast.Name) and a.id in names for a in node.args
                ):
                    return True
        return False

    def disposed_by_dependents(self, func: FunctionInfo) -> bool:
        """Another fixture requests this one and disposes what it got."""
        project = self.ctx.project
        name = func.fixture.name if func.fixture else func.name
        for fixture in list(project.iter_fixtures()):
            if fixture.module.rootdir != self.ctx.module.rootdir or name not in fixture.func.params:
                continue
            target = project.param_fixture(fixture.func, fixture.module, name)
            if target is None or target.func is not func:
                continue
            if _disposes_param(fixture, name):
                return True
        return False


def _sync_memory_sqlite(project: ProjectIndex, call: ast.Call, mod: ModuleInfo) -> bool:
    site = any_engine_site(project, call, mod)
    return site is not None and site.sqlite_memory


def _mentions(call: ast.Call, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in walk(call))


def _engine_vars(
    func: FunctionInfo, created: list[tuple[ast.Call, bool, str | None]]
) -> dict[int, str]:
    """id(creating call) -> the local name it is bound to (``eng = create_async_engine(...)``)."""
    calls = {id(c) for c, _, _ in created}
    out: dict[int, str] = {}
    for node in iter_own_nodes(func.node):
        if isinstance(node, ast.Assign) and id(node.value) in calls:
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out[id(node.value)] = target.id
    return out


def _holders(
    func: FunctionInfo, created: list[tuple[ast.Call, bool, str | None]], ctx: FileContext
) -> set[str]:
    """Local names bound to the engine, or to a wrapper object built from it (``Database(eng)``).

    Sessions, sessionmakers and connections made from the engine are not holders: closing them
    leaves the pool open.
    """
    calls = {id(c) for c, _, _ in created}
    names: set[str] = set()
    assigns = [n for n in iter_own_nodes(func.node) if isinstance(n, ast.Assign)]
    for node in assigns:
        if id(node.value) in calls:
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    for node in assigns:
        value = node.value.value if isinstance(node.value, ast.Await) else node.value
        if not isinstance(value, ast.Call) or not _mentions(value, names):
            continue
        if session_construct_kind(ctx.project, value, ctx.module) is not None:
            continue
        if isinstance(value.func, ast.Attribute) and value.func.attr in ("connect", "begin"):
            continue
        found = ctx.project.resolve_expr(value.func, ctx.module)
        callee = (dotted(value.func) or "").rsplit(".", 1)[-1]
        is_class = found.kind == "class" if found is not None else callee[:1].isupper()
        if is_class:
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _disposes_param(fixture: FixtureDef, param: str) -> bool:
    for node in walk(fixture.func.node):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "dispose"
        ):
            root = dotted(node.func.value)
            if root is not None and root.split(".", 1)[0] == param:
                return True
    return False
