"""Synchronous, blocking APIs that stall the event loop when called inside ``async def`` code.

Plain data plus one classifier: which call blocks, and what to use instead. Kept apart from
``knowledge.py`` because it describes *sync* APIs, the mirror image of the async ones there.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from loopdoctor.astwalk import walk
from loopdoctor.context import FileContext
from loopdoctor.index.types import Env
from loopdoctor.knowledge import SYNC_TEST_CLIENT, canonical

_HTTP_VERBS = frozenset("get post put patch delete head options request stream".split())

#: Module-level blocking functions: qualified name -> the async alternative.
BLOCKING_FUNCTIONS: dict[str, str] = {
    "time.sleep": "`await asyncio.sleep(...)`",
    **{f"requests.{verb}": "`httpx.AsyncClient`" for verb in _HTTP_VERBS - {"stream"}},
    **{f"requests.api.{verb}": "`httpx.AsyncClient`" for verb in _HTTP_VERBS - {"stream"}},
    **{f"httpx.{verb}": "`httpx.AsyncClient`" for verb in _HTTP_VERBS},
}

SYNC_SESSION = "sqlalchemy.orm.Session"
SYNC_ENGINE = "sqlalchemy.engine.Engine"
SYNC_CONNECTION = "sqlalchemy.engine.Connection"
REQUESTS_SESSION = "requests.Session"

#: Blocking methods per receiver type, and the alternative.
BLOCKING_METHODS: dict[str, tuple[frozenset[str], str]] = {
    SYNC_TEST_CLIENT: (
        _HTTP_VERBS | {"websocket_connect"},
        "`httpx.AsyncClient(transport=ASGITransport(app=app))` and `await`",
    ),
    "httpx.Client": (_HTTP_VERBS | {"send"}, "`httpx.AsyncClient`"),
    REQUESTS_SESSION: (_HTTP_VERBS | {"send"}, "`httpx.AsyncClient`"),
    SYNC_SESSION: (
        frozenset(
            "execute exec scalar scalars get get_one commit flush refresh rollback merge query "
            "connection".split()
        ),
        "an `AsyncSession` and `await`",
    ),
    SYNC_ENGINE: (frozenset({"connect", "begin", "execute"}), "an `AsyncEngine`"),
    SYNC_CONNECTION: (
        frozenset("execute scalar scalars commit rollback exec_driver_sql".split()),
        "an `AsyncConnection` and `await`",
    ),
}

_REQUESTS_SESSION_FACTORIES = frozenset(
    {"requests.Session", "requests.session", "requests.sessions.Session"}
)
_DDL = frozenset({"create_all", "drop_all", "reflect"})


@dataclass(frozen=True)
class BlockingCall:
    what: str  # "time.sleep(...)", "TestClient.get(...)"
    kind: str  # "sleep", "http", "testclient", "database"
    instead: str


def local_types(ctx: FileContext, func: ast.AST, env: Env) -> Env:
    """``env`` plus locals bound to ``requests.Session()``, which the shared inference lacks."""
    extra = dict(env)
    for node in walk(func):
        value = None
        names: list[str] = []
        if isinstance(node, ast.Assign):
            value = node.value
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.With):
            for item in node.items:
                if isinstance(item.optional_vars, ast.Name):
                    value = item.context_expr
                    names = [item.optional_vars.id]
        if isinstance(value, ast.Call) and (
            canonical(ctx.qualify(value.func)) in _REQUESTS_SESSION_FACTORIES
        ):
            for name in names:
                extra[name] = REQUESTS_SESSION
    return extra


def blocking_call(ctx: FileContext, call: ast.Call, env: Env) -> BlockingCall | None:
    """Classify a call made directly in an ``async def`` body."""
    func = call.func
    if isinstance(func, ast.Name) and ctx.is_locally_bound(func.id, call):
        return None
    root = func
    while isinstance(root, ast.Attribute):
        root = root.value
    rooted_locally = isinstance(root, ast.Name) and (
        root.id in env or ctx.is_locally_bound(root.id, call)
    )
    if not rooted_locally:
        qualname = canonical(ctx.qualify(func))
        if qualname in BLOCKING_FUNCTIONS:
            kind = "sleep" if qualname == "time.sleep" else "http"
            return BlockingCall(f"{qualname}(...)", kind, BLOCKING_FUNCTIONS[qualname])
    if not isinstance(func, ast.Attribute):
        return None
    if func.attr in _DDL:
        return _ddl_call(ctx, call, env)
    receiver = ctx.types.type_of(func.value, ctx.module, env)
    if receiver is None:
        return None
    entry = BLOCKING_METHODS.get(receiver)
    if entry is None or func.attr not in entry[0]:
        return None
    short = receiver.rsplit(".", 1)[-1]
    kind = {
        SYNC_TEST_CLIENT: "testclient",
        "httpx.Client": "http",
        REQUESTS_SESSION: "http",
    }.get(receiver, "database")
    return BlockingCall(f"{short}.{func.attr}(...)", kind, entry[1])


def _ddl_call(ctx: FileContext, call: ast.Call, env: Env) -> BlockingCall | None:
    """``Base.metadata.create_all(engine)`` with a sync Engine/Connection."""
    bind = call.args[0] if call.args else None
    for keyword in call.keywords:
        if keyword.arg == "bind":
            bind = keyword.value
    if bind is None:
        return None
    bind_type = ctx.types.type_of(bind, ctx.module, env)
    if bind_type not in (SYNC_ENGINE, SYNC_CONNECTION):
        return None
    attr = call.func.attr  # type: ignore[attr-defined]
    return BlockingCall(
        f"metadata.{attr}(<sync {bind_type.rsplit('.', 1)[-1]}>)",
        "database",
        f"`await conn.run_sync(Base.metadata.{attr})` on an `AsyncEngine` connection",
    )
