"""LD604: tests drive an app with a lifespan through ``ASGITransport``, which never runs it."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from loopdoctor.astwalk import walk
from loopdoctor.diagnostic import FixSafety, Severity
from loopdoctor.index.extract import dotted, iter_own_nodes
from loopdoctor.index.facts import FunctionInfo, ModuleInfo
from loopdoctor.index.types import produced_values
from loopdoctor.knowledge import SYNC_TEST_CLIENT, canonical
from loopdoctor.metadata.fastapi_app import AppRef, Lifespan, lifespan_of, resolve_app
from loopdoctor.project import ProjectIndex
from loopdoctor.rule import Rule

if TYPE_CHECKING:
    from loopdoctor.context import FileContext

TRANSPORTS = frozenset({"httpx.ASGITransport", "httpx.AsyncClient"})
#: Attribute names whose presence shows the test runs startup/shutdown itself.
_LIFESPAN_ATTRS = frozenset({"lifespan_context", "on_startup", "startup", "lifespan"})


class LifespanNotRun(Rule):
    code = "LD604"
    name = "lifespan-not-run"
    severity = Severity.ERROR
    summary = (
        "The app has a lifespan/startup handlers but tests drive it through ASGITransport, "
        "which never runs them."
    )
    fix_safety = FixSafety.NONE
    tokens = (b"ASGITransport", b"AsyncClient")

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self.reported: set[int] = set()

    def visit_Call(self, node: ast.Call) -> None:
        qualname = canonical(self.ctx.qualify(node.func))
        if qualname not in TRANSPORTS:
            return
        app_expr = next((k.value for k in node.keywords if k.arg == "app"), None)
        if app_expr is None and qualname == "httpx.ASGITransport" and node.args:
            app_expr = node.args[0]
        if app_expr is None:
            return
        owner = self.ctx.enclosing_function(node)
        if owner is None or not (owner.is_test or owner.fixture is not None):
            return
        project, mod = self.ctx.project, self.ctx.module
        scopes: list[tuple[FunctionInfo, ModuleInfo]] = [(owner, mod)]
        ref = self.app_of(app_expr, node, owner, scopes)
        if ref is None:
            return
        lifespan = lifespan_of(project, ref)
        if lifespan is None:
            return
        scopes.extend((use.fixture.func, use.fixture.module) for use in project.closure(owner, mod))
        if owner.fixture is not None:
            cls = project.class_of(owner, mod)
            for layer in project.fixture_layers(mod, cls):
                scopes.extend((f.func, f.module) for f in layer.values() if f.info.autouse)
        if any(self.runs_lifespan(project, func, m, lifespan) for func, m in scopes):
            return
        if owner.fixture is not None and self.every_user_runs_it(owner, lifespan):
            return
        site = self.client_site(node)
        if id(site) in self.reported:
            return
        self.reported.add(id(site))
        self.report(
            site,
            f"the app {ref.describe()} defines startup/shutdown work "
            f"({lifespan.description}, {lifespan.module.path.name}:"
            f"{getattr(lifespan.node, 'lineno', '?')}), but `ASGITransport` does not run the "
            "lifespan: whatever it sets up (database tables, app.state clients, caches) is "
            "missing in these tests and its shutdown never runs; wrap the app in "
            "`asgi_lifespan.LifespanManager(app)` (`async with LifespanManager(app) as m:` and "
            "`ASGITransport(app=m.app)`)",
        )

    # -- which app -----------------------------------------------------------------------------
    def app_of(
        self,
        expr: ast.AST,
        at: ast.AST,
        owner: FunctionInfo,
        scopes: list[tuple[FunctionInfo, ModuleInfo]],
    ) -> AppRef | None:
        project, mod = self.ctx.project, self.ctx.module
        if isinstance(expr, ast.Name):
            scope = self.ctx.enclosing_def(at)
            local = _local_value(scope, expr.id)
            if local is not None:
                return None if _is_manager_app(local, scope) else resolve_app(project, local, mod)
            if expr.id in owner.params:
                fixture = project.param_fixture(owner, mod, expr.id)
                if fixture is None:
                    return None
                scopes.append((fixture.func, fixture.module))
                return fixture_app(project, fixture.func, fixture.module)
            return resolve_app(project, expr, mod)
        if _is_manager_app(expr, self.ctx.enclosing_def(at)):
            return None
        return resolve_app(project, expr, mod)

    def every_user_runs_it(self, fixture: FunctionInfo, lifespan: Lifespan) -> bool:
        """Every test using this client fixture also requests one that runs the lifespan."""
        project = self.ctx.project
        users = 0
        for mod, test in project.iter_tests():
            closure = project.closure(test, mod)
            if not any(use.fixture.func is fixture for use in closure):
                continue
            users += 1
            if not any(
                self.runs_lifespan(project, use.fixture.func, use.fixture.module, lifespan)
                for use in closure
            ) and not self.runs_lifespan(project, test, mod, lifespan):
                return False
        return users > 0

    def runs_lifespan(
        self, project: ProjectIndex, func: FunctionInfo, mod: ModuleInfo, lifespan: Lifespan
    ) -> bool:
        for node in walk(func.node):
            if isinstance(node, ast.Attribute) and node.attr in _LIFESPAN_ATTRS:
                return True
            if isinstance(node, ast.Call):
                name = canonical(project.qualify(node.func, mod)) or ""
                if name.rsplit(".", 1)[-1] == "LifespanManager":
                    return True
                found = project.resolve(name, mod) if lifespan.functions else None
                if found is not None and found.function is not None:
                    qual = f"{found.module.modname}.{found.function.qualname}"
                    if qual in lifespan.functions:
                        return True
            if isinstance(node, ast.With | ast.AsyncWith):
                for item in node.items:
                    expr = item.context_expr
                    if isinstance(expr, ast.Call) and (
                        canonical(project.qualify(expr.func, mod)) == SYNC_TEST_CLIENT
                    ):
                        return True
        return False

    def client_site(self, node: ast.Call) -> ast.AST:
        """Report at the client construction: the AsyncClient around (or fed by) the transport."""
        if canonical(self.ctx.qualify(node.func)) == "httpx.AsyncClient":
            return node
        parent = self.ctx.parent(node)
        if isinstance(parent, ast.keyword):
            outer = self.ctx.parent(parent)
            if isinstance(outer, ast.Call):
                return outer
        if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
            name = dotted(parent.targets[0])
            scope = self.ctx.enclosing_def(node)
            if name is not None and scope is not None:
                for child in walk(scope):
                    if isinstance(child, ast.Call) and any(
                        k.arg == "transport" and dotted(k.value) == name for k in child.keywords
                    ):
                        return child
        return node


def fixture_app(project: ProjectIndex, func: FunctionInfo, mod: ModuleInfo) -> AppRef | None:
    """The app a fixture returns or yields (imported app, factory call, local built from one)."""
    for value in produced_values(func):
        if isinstance(value, ast.Name):
            local = _local_value(func.node, value.id)
            if local is not None:
                if _is_manager_app(local, func.node):
                    return None
                ref = resolve_app(project, local, mod)
                if ref is not None:
                    return ref
                continue
        if _is_manager_app(value, func.node):
            return None
        ref = resolve_app(project, value, mod)
        if ref is not None:
            return ref
    return None


def _local_value(scope: ast.AST | None, name: str) -> ast.AST | None:
    if scope is None:
        return None
    for node in iter_own_nodes(scope):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return node.value
        if isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if isinstance(item.optional_vars, ast.Name) and item.optional_vars.id == name:
                    return item.context_expr
    return None


def _is_manager_app(expr: ast.AST, scope: ast.AST | None) -> bool:
    """``LifespanManager(app)`` or ``manager.app`` of one: the lifespan runs around it."""
    if isinstance(expr, ast.Call):
        return (dotted(expr.func) or "").rsplit(".", 1)[-1] == "LifespanManager"
    if not (isinstance(expr, ast.Attribute) and expr.attr == "app"):
        return False
    base = expr.value
    if not isinstance(base, ast.Name):
        return False
    value = _local_value(scope, base.id)
    if value is not None:
        return _is_manager_app(value, None)
    return "manager" in base.id.lower() or "lifespan" in base.id.lower()
