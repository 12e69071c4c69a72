"""SQLAlchemy engines (sync and async) and session factories as the LD502-LD506 and LD701 rules
see them: which call creates what, with which keyword arguments, and which names hold it.

Built on :mod:`loopdoctor.metadata.engines` (URL evaluation, dialect/driver, pool verdicts);
this module adds the sync ``create_engine`` and the session constructors those rules need.
"""

from __future__ import annotations

import ast

from loopdoctor.index.extract import dotted, iter_own_nodes
from loopdoctor.index.facts import FunctionInfo, ModuleInfo
from loopdoctor.knowledge import ASYNC_SESSION, ASYNC_SESSIONMAKER, CREATE_ASYNC_ENGINE, canonical
from loopdoctor.metadata.engines import EngineSite
from loopdoctor.metadata.strings import static_string
from loopdoctor.project import ProjectIndex

SYNC_CREATE_ENGINE = "sqlalchemy.create_engine"
#: Engine factories: qualified name -> is the engine async.
ENGINE_FACTORIES: dict[str, bool] = {
    CREATE_ASYNC_ENGINE: True,
    "sqlalchemy.ext.asyncio.async_engine_from_config": True,
    SYNC_CREATE_ENGINE: False,
    "sqlalchemy.engine_from_config": False,
    "sqlalchemy.engine.engine_from_config": False,
}
SYNC_SESSIONMAKER = "sqlalchemy.orm.sessionmaker"
SYNC_SESSION = "sqlalchemy.orm.Session"
SCOPED_SESSIONS = frozenset(
    {
        "sqlalchemy.orm.scoped_session",
        "sqlalchemy.orm.scoping.scoped_session",
        "sqlalchemy.ext.asyncio.async_scoped_session",
    }
)
_CACHE_DECORATORS = ("functools.lru_cache", "functools.cache", "lru_cache", "cache")


def call_name(project: ProjectIndex, call: ast.Call, mod: ModuleInfo) -> str | None:
    return canonical(project.qualify(call.func, mod))


def kwarg(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def has_star_kwargs(call: ast.Call) -> bool:
    return any(kw.arg is None for kw in call.keywords)


# -- engines ---------------------------------------------------------------------------------------
def any_engine_site(project: ProjectIndex, call: ast.Call, mod: ModuleInfo) -> EngineSite | None:
    """``create_engine`` / ``create_async_engine`` (and ``*_from_config``) as an EngineSite."""
    name = call_name(project, call, mod)
    if name not in ENGINE_FACTORIES:
        return None
    url_expr = call.args[0] if call.args else None
    url_expr = kwarg(call, "url") or url_expr
    poolclass = None
    value = kwarg(call, "poolclass")
    if value is not None:
        pool = canonical(project.qualify(value, mod))
        if pool is not None and pool.rsplit(".", 1)[-1].endswith("Pool"):
            poolclass = "sqlalchemy.pool." + pool.rsplit(".", 1)[-1]
        else:
            poolclass = "dynamic"
    if has_star_kwargs(call) or "from_config" in (name or ""):
        poolclass = poolclass or "dynamic"
    pool_kwargs = tuple(k for k in ("pool_size", "max_overflow", "pool_pre_ping") if kwarg(call, k))
    url = None if "from_config" in (name or "") else static_string(project, url_expr, mod)
    return EngineSite(call, mod, url, poolclass, pool_kwargs)


def is_async_engine_call(project: ProjectIndex, call: ast.Call, mod: ModuleInfo) -> bool | None:
    """True/False for an async/sync engine factory call, None for anything else."""
    return ENGINE_FACTORIES.get(call_name(project, call, mod) or "")


def engine_factory_function(
    project: ProjectIndex, call: ast.Call, mod: ModuleInfo
) -> tuple[FunctionInfo, ModuleInfo, ast.Call] | None:
    """A call to an uncached project helper that builds and returns a fresh engine."""
    found = project.resolve_expr(call.func, mod)
    func = found.function if found else None
    if func is None or func.fixture is not None or found is None:
        return None
    if any(name in _CACHE_DECORATORS for name in func.decorator_names):
        return None
    own = list(iter_own_nodes(func.node))
    if any(isinstance(n, ast.Global) for n in own):
        return None
    created: dict[str, ast.Call] = {}
    for node in own:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            if is_async_engine_call(project, node.value, found.module) is not None:
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        created[target.id] = node.value
    for node in own:
        if isinstance(node, ast.Return) and node.value is not None:
            value = node.value
            if isinstance(value, ast.Call):
                if is_async_engine_call(project, value, found.module) is not None:
                    return func, found.module, value
            elif isinstance(value, ast.Name) and value.id in created:
                return func, found.module, created[value.id]
    return None


# -- session factories -----------------------------------------------------------------------------
def session_construct_kind(project: ProjectIndex, call: ast.Call, mod: ModuleInfo) -> str | None:
    """ "async_sessionmaker" | "AsyncSession" | "sessionmaker" | "Session" for a constructor call.

    ``sessionmaker(class_=AsyncSession)`` is an async sessionmaker.
    """
    name = call_name(project, call, mod)
    if name == ASYNC_SESSIONMAKER:
        return "async_sessionmaker"
    if name == ASYNC_SESSION:
        return "AsyncSession"
    if name == SYNC_SESSIONMAKER:
        cls = kwarg(call, "class_")
        if cls is not None and canonical(project.qualify(cls, mod)) == ASYNC_SESSION:
            return "async_sessionmaker"
        return "sessionmaker"
    if name == SYNC_SESSION:
        return "Session"
    return None


def factory_call_of(
    project: ProjectIndex, call: ast.Call, mod: ModuleInfo
) -> tuple[ast.Call, ModuleInfo] | None:
    """For ``SessionLocal(...)``: the ``sessionmaker(...)`` call that made ``SessionLocal``."""
    found = project.resolve_expr(call.func, mod)
    if found is None or found.kind != "variable":
        return None
    value = found.obj.value  # type: ignore[union-attr]
    if isinstance(value, ast.Call):
        if session_construct_kind(project, value, found.module) in (
            "async_sessionmaker",
            "sessionmaker",
        ):
            return value, found.module
    return None


def bind_arg(call: ast.Call) -> ast.expr | None:
    """The ``bind`` of a Session/sessionmaker constructor (keyword or first positional)."""
    value = kwarg(call, "bind")
    if value is None and call.args:
        value = call.args[0]
    return value


def root_name(expr: ast.AST) -> str | None:
    name = dotted(expr)
    return name.split(".", 1)[0] if name else None
