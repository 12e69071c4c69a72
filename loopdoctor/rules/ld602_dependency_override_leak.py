"""LD602: ``app.dependency_overrides`` set in a test or fixture and never cleaned up."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from loopdoctor.astwalk import walk
from loopdoctor.diagnostic import FixSafety, Severity
from loopdoctor.index.extract import dotted, iter_own_nodes
from loopdoctor.index.facts import FunctionInfo, ModuleInfo
from loopdoctor.index.types import produced_values
from loopdoctor.knowledge import canonical
from loopdoctor.metadata.fastapi_app import APP_TYPES, constructor_kind, resolve_app
from loopdoctor.project import ProjectIndex
from loopdoctor.rule import Rule

if TYPE_CHECKING:
    import libcst as cst

    from loopdoctor.fixes import Edit, FixSite

OVERRIDES = "dependency_overrides"
_CLEANUP_METHODS = frozenset({"clear", "pop", "popitem"})
_TEARDOWN_NAMES = frozenset(
    {
        "teardown_method",
        "teardown_function",
        "teardown_class",
        "teardown_module",
        "tearDown",
        "asyncTearDown",
        "teardown",
    }
)


class DependencyOverrideLeak(Rule):
    code = "LD602"
    name = "dependency-override-leak"
    severity = Severity.WARNING
    summary = (
        "`app.dependency_overrides[...] = ...` in a test or fixture with no cleanup: the fake "
        "leaks into later tests."
    )
    #: Unsafe: ``clear()`` also drops overrides other fixtures installed, and a fixture that
    #: returned its value becomes a generator fixture.
    fix_safety = FixSafety.UNSAFE
    tokens = (b"dependency_overrides",)

    @classmethod
    def fix(cls, site: FixSite) -> Edit | None:
        """In the fixture: ``return x`` -> ``yield x`` (or ``yield`` added), then ``.clear()``."""
        import libcst as cst

        node = site.node_of(cst.Assign, cst.Call)
        receiver = _cst_receiver(node) if node is not None else None
        func = site.enclosing_function(node) if node is not None else None
        if receiver is None or func is None or not isinstance(func.body, cst.IndentedBlock):
            return None
        body = list(func.body.body)
        if not _cst_yields(func):
            last = body[-1]
            returned = last.body[-1] if isinstance(last, cst.SimpleStatementLine) else None
            if isinstance(returned, cst.Return):  # also ``x = make(); return x`` on one line
                small = [*last.body[:-1], cst.Expr(cst.Yield(value=returned.value))]
                body[-1] = last.with_changes(body=small)
            else:
                body.append(cst.parse_statement("yield\n"))
        body.append(cst.parse_statement(f"{site.code(receiver)}.{OVERRIDES}.clear()\n"))
        return site.replace(func, func.with_changes(body=func.body.with_changes(body=body)))

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Attribute)
                and target.value.attr == OVERRIDES
            ):
                self.check(node, target.value.value)
                return
            if (
                isinstance(target, ast.Attribute)
                and target.attr == OVERRIDES
                and isinstance(node.value, ast.Dict)
                and node.value.keys
            ):
                self.check(node, target.value)
                return

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in ("update", "setdefault")
            and isinstance(func.value, ast.Attribute)
            and func.value.attr == OVERRIDES
            and (node.args or node.keywords)
        ):
            scope = self.ctx.enclosing_def(node)
            if scope is None or not _is_saved_copy(scope, node):
                self.check(node, func.value.value)

    # -- the decision ----------------------------------------------------------------------------
    def check(self, node: ast.AST, receiver: ast.AST) -> None:
        owner = self.ctx.enclosing_function(node)
        if owner is None or not (owner.is_test or owner.fixture is not None):
            return
        project, mod = self.ctx.project, self.ctx.module
        if self.fresh_app(receiver, node, owner):
            return
        if self.inside_patch_dict(node):
            return
        if _cleans_after(owner.node, node):
            return
        if self.class_or_module_teardown(owner):
            return
        if self.fixture_cleans(project, owner, mod):
            return
        where = "fixture" if owner.fixture is not None else "test"
        app_name = ast.unparse(receiver)
        self.report(
            node,
            f"this {where} installs a dependency override on `{app_name}` and nothing removes "
            "it: the override stays in the app's `dependency_overrides` after the test, so every "
            "later test (in any module) silently gets the fake dependency; clean up after the "
            f"test (`yield`, then `{app_name}.dependency_overrides.clear()` or `.pop(dep)`, or "
            "an autouse fixture that clears them)",
            fixable=self.fixable(node, receiver, owner),
        )

    def fixable(self, node: ast.AST, receiver: ast.AST, owner: FunctionInfo) -> bool:
        """A fixture that sets the override in its own body and returns (or yields) once at the
        end: the cleanup has one certain place, after its ``yield``."""
        func = owner.node
        if owner.fixture is None or self.ctx.enclosing_def(node) is not func:
            return False
        if dotted(receiver) is None or func.body[0].lineno == func.lineno:
            return False
        own = list(iter_own_nodes(func))
        returns = [n for n in own if isinstance(n, ast.Return)]
        if any(isinstance(n, ast.Yield | ast.YieldFrom) for n in own):
            return not returns
        return not returns or (len(returns) == 1 and func.body[-1] is returns[0])

    def fresh_app(self, receiver: ast.AST, at: ast.AST, owner: FunctionInfo) -> bool:
        """The overrides are on an app built for this test alone (a local or function fixture)."""
        project, mod = self.ctx.project, self.ctx.module
        if not isinstance(receiver, ast.Name):
            return False
        scope = self.ctx.enclosing_def(at)
        local = _assigned_value(scope, receiver.id) if scope is not None else None
        while local is None and scope is not None and scope is not owner.node:
            # A closure (a dependency, a callback) inside the test reads the test's local app.
            scope = self.ctx.enclosing_def(scope)
            local = _assigned_value(scope, receiver.id) if scope is not None else None
        if local is not None:
            return _builds_app(project, local, mod)
        if receiver.id in owner.params:
            fixture = project.param_fixture(owner, mod, receiver.id)
            if fixture is None:
                return False
            if fixture.info.scope != "function":
                return False
            for value in produced_values(fixture.func):
                if isinstance(value, ast.Name):
                    built = _assigned_value(fixture.func.node, value.id)
                    if built is not None and _builds_app(project, built, fixture.module):
                        return True
                elif _builds_app(project, value, fixture.module):
                    return True
        return False

    def inside_patch_dict(self, node: ast.AST) -> bool:
        for ancestor in self.ctx.ancestors(node):
            if isinstance(ancestor, ast.With | ast.AsyncWith):
                for item in ancestor.items:
                    expr = item.context_expr
                    if isinstance(expr, ast.Call) and (dotted(expr.func) or "").endswith(
                        "patch.dict"
                    ):
                        return True
        return False

    def class_or_module_teardown(self, owner: FunctionInfo) -> bool:
        mod = self.ctx.module
        candidates: list[FunctionInfo] = [
            f for f in mod.functions.values() if f.class_name is None and f.name in _TEARDOWN_NAMES
        ]
        cls = self.ctx.project.class_of(owner, mod)
        if cls is not None:
            candidates.extend(m for m in cls.methods.values() if m.name in _TEARDOWN_NAMES)
        return any(_has_cleanup(f.node) for f in candidates)

    def fixture_cleans(self, project: ProjectIndex, owner: FunctionInfo, mod: ModuleInfo) -> bool:
        """A fixture in the graph (or an autouse one in scope) clears the overrides."""
        fixtures = [use.fixture for use in project.closure(owner, mod)]
        cls = project.class_of(owner, mod)
        for layer in project.fixture_layers(mod, cls):
            fixtures.extend(f for f in layer.values() if f.info.autouse)
        if owner.fixture is not None:
            # Fixtures that request this one tear down after it: their cleanup counts too.
            name = owner.fixture.name
            fixtures.extend(f for f in project.iter_fixtures() if name in f.func.params)
        for fixture in fixtures:
            if fixture.func is owner:
                continue
            if _has_cleanup(fixture.func.node):
                return True
        return False


def _assigned_value(scope: ast.AST, name: str) -> ast.AST | None:
    for node in walk(scope):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return node.value
    return None


def _builds_app(project: ProjectIndex, expr: ast.AST, mod: ModuleInfo) -> bool:
    """``FastAPI(...)`` or a factory call that builds a new app each time."""
    if not isinstance(expr, ast.Call):
        return False
    if constructor_kind(project, expr, mod) in APP_TYPES:
        return True
    name = canonical(project.qualify(expr.func, mod)) or ""
    if name.rsplit(".", 1)[-1] in ("lru_cache", "cache"):
        return False
    ref = resolve_app(project, expr, mod)
    return ref is not None and ref.factory is not None and not _cached(ref.factory.node)


def _cached(func: ast.AST) -> bool:
    decorators = getattr(func, "decorator_list", [])
    return any(
        (dotted(d.func if isinstance(d, ast.Call) else d) or "").endswith(("lru_cache", "cache"))
        for d in decorators
    )


def _is_cleanup(node: ast.AST, scope: ast.AST | None = None) -> bool:
    """``x.dependency_overrides.clear()``/``.pop(k)``, ``del x.dependency_overrides[k]``,
    ``x.dependency_overrides = saved``, ``.update(saved)``, or a reference to ``.clear``
    handed to ``addfinalizer``."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
        if node.value.attr == OVERRIDES and node.attr in _CLEANUP_METHODS:
            return True
    if isinstance(node, ast.Delete):
        for target in node.targets:
            if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Attribute):
                if target.value.attr == OVERRIDES:
                    return True
    if isinstance(node, ast.Assign):
        for target in node.targets:
            if isinstance(target, ast.Attribute) and target.attr == OVERRIDES:
                value = node.value
                if not (isinstance(value, ast.Dict) and value.keys):
                    return True
    return (
        scope is not None
        and isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "update"
        and isinstance(node.func.value, ast.Attribute)
        and node.func.value.attr == OVERRIDES
        and _is_saved_copy(scope, node)
    )


def _has_cleanup(func: ast.AST) -> bool:
    return any(_is_cleanup(node, func) for node in walk(func))


def _is_saved_copy(scope: ast.AST, call: ast.Call) -> bool:
    """``overrides.update(saved)`` where ``saved`` was copied from the overrides earlier."""
    if len(call.args) != 1 or call.keywords or not isinstance(call.args[0], ast.Name):
        return False
    value = _assigned_value(scope, call.args[0].id)
    return value is not None and any(
        isinstance(n, ast.Attribute) and n.attr == OVERRIDES for n in walk(value)
    )


def _cleans_after(func: ast.AST, override: ast.AST) -> bool:
    """A cleanup later in the same def (after the yield, at the end, or in ``finally``)."""
    start = (getattr(override, "lineno", 0), getattr(override, "col_offset", 0))
    for node in walk(func):
        if not _is_cleanup(node, func):
            continue
        if (getattr(node, "lineno", 0), getattr(node, "col_offset", 0)) > start:
            return True
    for node in walk(func):
        if isinstance(node, ast.Try) and any(_has_cleanup(s) for s in node.finalbody):
            return True
    return False


def _cst_receiver(node: cst.CSTNode) -> cst.BaseExpression | None:
    """``app`` in ``app.dependency_overrides[k] = v`` / ``= {...}`` / ``.update(...)``."""
    import libcst as cst

    if isinstance(node, cst.Assign):
        for target in node.targets:
            expr = target.target
            if isinstance(expr, cst.Subscript):
                expr = expr.value
            if isinstance(expr, cst.Attribute) and expr.attr.value == OVERRIDES:
                return expr.value
    elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        owner = node.func.value
        if isinstance(owner, cst.Attribute) and owner.attr.value == OVERRIDES:
            return owner.value
    return None


def _cst_yields(func: cst.FunctionDef) -> bool:
    """The def's own body yields (nested defs, lambdas and classes do not count)."""
    import libcst as cst

    class Finder(cst.CSTVisitor):
        found = False

        def visit_Yield(self, node: cst.Yield) -> None:
            self.found = True

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            return False

    finder = Finder()
    func.body.visit(finder)
    return finder.found
