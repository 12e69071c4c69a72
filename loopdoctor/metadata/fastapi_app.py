"""FastAPI/Starlette facts across modules: apps, routers, route handlers, lifespans.

Used by LD603 (direct endpoint calls) and LD604 (lifespan not run). An *app reference* is a
module-level ``app = FastAPI(...)`` / ``router = APIRouter(...)`` (possibly imported from another
module), or the ``FastAPI(...)`` call inside an app factory ``def create_app()``. Everything is
read from the ``ast`` index; nothing is imported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field

from loopdoctor.astwalk import walk
from loopdoctor.index.extract import iter_own_nodes
from loopdoctor.index.facts import FunctionInfo, ModuleInfo, VarInfo
from loopdoctor.knowledge import canonical
from loopdoctor.project import ProjectIndex

APP_TYPES = frozenset({"fastapi.FastAPI", "starlette.applications.Starlette"})
ROUTER_TYPES = frozenset({"fastapi.APIRouter", "starlette.routing.Router"})
ROUTE_DECORATORS = frozenset(
    "get post put patch delete head options trace api_route websocket route".split()
)
ROUTE_REGISTRARS = frozenset({"add_api_route", "add_route", "add_api_websocket_route"})
#: FastAPI parameter markers: a default of one of these is filled by the framework, not the caller.
PARAM_MARKERS = frozenset("Depends Security Query Path Body Header Cookie Form File".split())
_STARTUP_EVENTS = frozenset({"startup", "shutdown"})


@dataclass(frozen=True)
class AppRef:
    """A FastAPI app or router: where it is made and how."""

    kind: str  # canonical constructor, e.g. "fastapi.FastAPI"
    module: ModuleInfo
    call: ast.Call  # the constructor call
    var: str | None  # module-level variable name, None inside a factory
    factory: FunctionInfo | None = None  # ``def create_app()`` holding the call
    local: str | None = None  # the factory's local name for the app

    @property
    def key(self) -> tuple[str, int]:
        return (str(self.module.path), id(self.call))

    def describe(self) -> str:
        if self.var is not None:
            return (
                f"`{self.module.modname}.{self.var}` ({self.module.path.name}:{self.call.lineno})"
            )
        name = self.factory.name if self.factory else "?"
        where = f"{self.module.path.name}:{self.call.lineno}"
        return f"built by `{self.module.modname}.{name}()` ({where})"


@dataclass(frozen=True)
class Lifespan:
    """Why an app has startup/shutdown work: the first piece of evidence found."""

    description: str  # e.g. "`FastAPI(lifespan=lifespan)`"
    module: ModuleInfo
    node: ast.AST
    functions: tuple[str, ...] = field(default=())  # qualified lifespan/handler functions


# -- app references ------------------------------------------------------------------------------
def constructor_kind(project: ProjectIndex, call: ast.AST, mod: ModuleInfo) -> str | None:
    if not isinstance(call, ast.Call):
        return None
    name = canonical(project.qualify(call.func, mod))
    return name if name in APP_TYPES or name in ROUTER_TYPES else None


def app_from_var(project: ProjectIndex, mod: ModuleInfo, var: VarInfo) -> AppRef | None:
    kind = constructor_kind(project, var.value, mod)
    if kind is None:
        return None
    return AppRef(kind, mod, var.value, var.name)  # type: ignore[arg-type]


def app_from_factory(project: ProjectIndex, mod: ModuleInfo, func: FunctionInfo) -> AppRef | None:
    """``def create_app(): app = FastAPI(...); ...; return app``."""
    if func.is_async or func.fixture is not None:
        return None
    for node in iter_own_nodes(func.node):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            kind = constructor_kind(project, node.value, mod)
            if kind in APP_TYPES and isinstance(target, ast.Name):
                return AppRef(kind, mod, node.value, None, func, target.id)  # type: ignore[arg-type]
        if isinstance(node, ast.Return) and constructor_kind(project, node.value, mod) in APP_TYPES:
            kind = constructor_kind(project, node.value, mod)
            return AppRef(kind, mod, node.value, None, func, None)  # type: ignore[arg-type]
    return None


def resolve_app(project: ProjectIndex, expr: ast.AST, mod: ModuleInfo) -> AppRef | None:
    """The app/router an expression names (``app``, ``main.app``) or builds (``create_app()``)."""
    if isinstance(expr, ast.Call):
        kind = constructor_kind(project, expr, mod)
        if kind is not None:
            return AppRef(kind, mod, expr, None)
        found = project.resolve_expr(expr.func, mod)
        if found is not None and found.function is not None:
            return app_from_factory(project, found.module, found.function)
        return None
    found = project.resolve_expr(expr, mod)
    if found is None or found.kind != "variable":
        return None
    var: VarInfo = found.obj  # type: ignore[assignment]
    ref = app_from_var(project, found.module, var)
    if ref is not None:
        return ref
    # ``app = create_app()`` at module level.
    if isinstance(var.value, ast.Call):
        return resolve_app(project, var.value, found.module)
    return None


def decorator_app(
    project: ProjectIndex, decorator: ast.expr, mod: ModuleInfo
) -> tuple[AppRef, str] | None:
    """``@app.get("/x")`` -> (the app/router, "get")."""
    if not isinstance(decorator, ast.Call) or not isinstance(decorator.func, ast.Attribute):
        return None
    return _receiver_app(project, decorator.func, mod)


def _receiver_app(
    project: ProjectIndex, attr: ast.Attribute, mod: ModuleInfo
) -> tuple[AppRef, str] | None:
    ref = resolve_app(project, attr.value, mod)
    return (ref, attr.attr) if ref is not None else None


# -- route handlers ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    handler: FunctionInfo
    module: ModuleInfo
    app: AppRef
    method: str  # "get", "post", ..., or "add_api_route"
    path: str | None


def route_of(project: ProjectIndex, func: FunctionInfo, mod: ModuleInfo) -> Route | None:
    """The route a function is registered as, by decorator or ``add_api_route``."""
    for decorator in func.node.decorator_list:
        if not isinstance(decorator, ast.Call) or not isinstance(decorator.func, ast.Attribute):
            continue
        if decorator.func.attr not in ROUTE_DECORATORS:
            continue
        found = decorator_app(project, decorator, mod)
        if found is not None:
            return Route(func, mod, found[0], found[1], _path_arg(decorator))
    if func.fixture is not None or func.is_test or func.node.decorator_list:
        return None
    return registered_routes(project, mod).get((str(mod.path), func.qualname))


def registered_routes(project: ProjectIndex, home: ModuleInfo) -> dict[tuple[str, str], Route]:
    """``app.add_api_route("/x", handler)`` registrations in the whole project, built once.

    ``home`` is kept for callers; lookups are by (path, qualname).
    """
    return project.memoised(("fastapi-registered-routes",), lambda: _all_registrations(project))


def _all_registrations(project: ProjectIndex) -> dict[tuple[str, str], Route]:
    routes: dict[tuple[str, str], Route] = {}
    for mod in project.scan(_REGISTRAR_TOKENS):
        if _may_register_routes(mod):
            routes.update(_registrations_in(project, mod))
    return routes


def _may_register_routes(mod: ModuleInfo) -> bool:
    """Only modules that import FastAPI/Starlette or an app/router object can register routes."""
    return any(
        value.startswith(("fastapi", "starlette")) or local in _APP_NAMES
        for local, value in mod.imports.items()
    )


_APP_NAMES = frozenset({"app", "application", "api", "router", "routers", "main"})
_REGISTRAR_TOKENS = tuple(sorted(name.encode() for name in ROUTE_REGISTRARS))
#: What a module must say to configure an app's startup (see ``_app_uses``).
_APP_USE_TOKENS = (b"on_event", b"add_event_handler", b"include_router", b"lifespan_context")
_APP_USE_TOKENS += (b"on_startup", b"on_shutdown")


def _registrations_in(project: ProjectIndex, mod: ModuleInfo) -> dict[tuple[str, str], Route]:
    routes: dict[tuple[str, str], Route] = {}
    for node in walk(mod.tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ROUTE_REGISTRARS
        ):
            continue
        endpoint = node.args[1] if len(node.args) > 1 else _kw(node, "endpoint")
        if endpoint is None:
            continue
        found = project.resolve_expr(endpoint, mod)
        if found is None or found.function is None:
            continue
        receiver = _receiver_app(project, node.func, mod)
        if receiver is None:
            continue
        handler = found.function
        routes[(str(found.module.path), handler.qualname)] = Route(
            handler, found.module, receiver[0], node.func.attr, _path_arg(node)
        )
    return routes


def marker_params(project: ProjectIndex, route: Route) -> dict[str, str]:
    """Handler parameters whose default is a FastAPI marker: name -> source of the default."""
    args = route.handler.node.args
    positional = [*args.posonlyargs, *args.args]
    out: dict[str, str] = {}
    pairs = list(
        zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=False)
    )
    pairs += [(a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=False) if d]
    for arg, default in pairs:
        if isinstance(default, ast.Call):
            name = project.qualify(default.func, route.module) or ""
            if name.rsplit(".", 1)[-1] in PARAM_MARKERS and name.startswith("fastapi"):
                out[arg.arg] = ast.unparse(default)
    return out


# -- lifespans -----------------------------------------------------------------------------------
def lifespan_of(project: ProjectIndex, ref: AppRef, depth: int = 0) -> Lifespan | None:
    """Startup/shutdown work an app (or a router it includes) declares."""
    # None while it is computed: routers may include each other.
    key = ("fastapi-lifespan", ref.key)
    return project.memoised(key, lambda: _lifespan_of(project, ref, depth))


def _lifespan_of(project: ProjectIndex, ref: AppRef, depth: int) -> Lifespan | None:
    call = ref.call
    for keyword in call.keywords:
        if keyword.arg in ("lifespan", "on_startup", "on_shutdown") and not _empty(keyword.value):
            functions = _functions_named(project, keyword.value, ref.module)
            return Lifespan(
                f"`{_ctor(ref)}({keyword.arg}={ast.unparse(keyword.value)})`",
                ref.module,
                call,
                functions,
            )
    for mod, node, what in _app_uses(project, ref):
        if what in ("on_event", "add_event_handler"):
            return Lifespan(f"`{ast.unparse(node)}`", mod, node)
        if what == "lifespan_context":
            return Lifespan("an assigned `router.lifespan_context`", mod, node)
        if what == "include_router" and depth < 4 and isinstance(node, ast.Call) and node.args:
            router = resolve_app(project, node.args[0], mod)
            if router is not None and router.key != ref.key:
                found = lifespan_of(project, router, depth + 1)
                if found is not None:
                    return found
    return None


def _app_uses(project: ProjectIndex, ref: AppRef) -> Iterator[tuple[ModuleInfo, ast.AST, str]]:
    """Decorators and calls on this app: ``@app.on_event(...)``, ``app.include_router(r)``."""
    if ref.factory is not None:
        scopes: list[tuple[ModuleInfo, ast.AST]] = [(ref.module, ref.factory.node)]
    else:
        scopes = [(m, m.tree) for m in project.scan(_APP_USE_TOKENS)]
    for mod, scope in scopes:
        for node in _app_use_candidates(scope):
            target: ast.Attribute | None = None
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                target = node.func
            elif (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Attribute)
                and node.targets[0].attr == "lifespan_context"
            ):
                target = node.targets[0]
                owner = target.value
                if isinstance(owner, ast.Attribute) and owner.attr == "router":
                    owner = owner.value
                if _same_app(project, owner, mod, ref):
                    yield mod, node, "lifespan_context"
                continue
            if target is None:
                continue
            if target.attr == "on_event" and _event_arg(node) in _STARTUP_EVENTS:  # type: ignore[arg-type]
                if _same_app(project, target.value, mod, ref):
                    yield mod, node, "on_event"
            elif target.attr == "add_event_handler" and _event_arg(node) in _STARTUP_EVENTS:  # type: ignore[arg-type]
                if _same_app(project, target.value, mod, ref):
                    yield mod, node, "add_event_handler"
            elif target.attr == "include_router" and _same_app(project, target.value, mod, ref):
                yield mod, node, "include_router"
            elif (
                target.attr == "append"
                and isinstance(target.value, ast.Attribute)
                and target.value.attr in ("on_startup", "on_shutdown")
            ):
                owner = target.value.value
                if isinstance(owner, ast.Attribute) and owner.attr == "router":
                    owner = owner.value
                if _same_app(project, owner, mod, ref):
                    yield mod, node, "on_event"


_APP_USE_ATTRS = frozenset({"on_event", "add_event_handler", "include_router", "append"})


def _app_use_candidates(scope: ast.AST) -> list[ast.AST]:
    """The calls and assignments of ``scope`` that ``_app_uses`` looks at, found once per
    scope (every app of the project asks about the same modules)."""
    found: list[ast.AST] | None = getattr(scope, "_ld_app_uses", None)
    if found is None:
        found = [
            node
            for node in walk(scope)
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in _APP_USE_ATTRS
            )
            or (isinstance(node, ast.Assign) and len(node.targets) == 1)
        ]
        scope._ld_app_uses = found  # type: ignore[attr-defined]
    return found


def _same_app(project: ProjectIndex, expr: ast.AST, mod: ModuleInfo, ref: AppRef) -> bool:
    if ref.factory is not None:
        return isinstance(expr, ast.Name) and expr.id == ref.local
    if not isinstance(expr, ast.Name | ast.Attribute):
        return False
    other = resolve_app(project, expr, mod)
    return other is not None and other.key == ref.key


# -- small helpers -------------------------------------------------------------------------------
def _ctor(ref: AppRef) -> str:
    return ref.kind.rsplit(".", 1)[-1]


def _empty(expr: ast.AST) -> bool:
    if isinstance(expr, ast.Constant) and expr.value is None:
        return True
    return isinstance(expr, ast.List | ast.Tuple) and not expr.elts


def _functions_named(project: ProjectIndex, expr: ast.AST, mod: ModuleInfo) -> tuple[str, ...]:
    items = expr.elts if isinstance(expr, ast.List | ast.Tuple) else [expr]
    out: list[str] = []
    for item in items:
        found = project.resolve_expr(item, mod)
        if found is not None and found.function is not None:
            out.append(f"{found.module.modname}.{found.function.qualname}")
    return tuple(out)


def _event_arg(call: ast.Call) -> str | None:
    arg = call.args[0] if call.args else _kw(call, "event_type")
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    return None


def _path_arg(call: ast.Call) -> str | None:
    arg = call.args[0] if call.args else _kw(call, "path")
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    return None


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None
