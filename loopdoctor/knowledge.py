"""What loopdoctor knows about third-party async APIs, as plain data (it imports none of them).

Names are canonical qualified names; ``ALIASES`` maps the other spellings users import onto them.
"""

from __future__ import annotations

ALIASES: dict[str, str] = {
    "httpx._client.AsyncClient": "httpx.AsyncClient",
    "httpx._client.Client": "httpx.Client",
    "httpx._transports.asgi.ASGITransport": "httpx.ASGITransport",
    "fastapi.testclient.TestClient": "starlette.testclient.TestClient",
    "fastapi.FastAPI": "fastapi.FastAPI",
    "fastapi.applications.FastAPI": "fastapi.FastAPI",
    "fastapi.routing.APIRouter": "fastapi.APIRouter",
    "starlette.applications.Starlette": "starlette.applications.Starlette",
    "sqlalchemy.ext.asyncio.session.AsyncSession": "sqlalchemy.ext.asyncio.AsyncSession",
    "sqlmodel.ext.asyncio.session.AsyncSession": "sqlalchemy.ext.asyncio.AsyncSession",
    "sqlalchemy.ext.asyncio.engine.AsyncEngine": "sqlalchemy.ext.asyncio.AsyncEngine",
    "sqlalchemy.ext.asyncio.engine.AsyncConnection": ("sqlalchemy.ext.asyncio.AsyncConnection"),
    "sqlalchemy.ext.asyncio.engine.create_async_engine": (
        "sqlalchemy.ext.asyncio.create_async_engine"
    ),
    "sqlmodel.ext.asyncio.create_async_engine": "sqlalchemy.ext.asyncio.create_async_engine",
    "sqlalchemy.ext.asyncio.session.async_sessionmaker": (
        "sqlalchemy.ext.asyncio.async_sessionmaker"
    ),
    "sqlalchemy.ext.asyncio.scoping.async_scoped_session": (
        "sqlalchemy.ext.asyncio.async_scoped_session"
    ),
    "sqlalchemy.orm.session.sessionmaker": "sqlalchemy.orm.sessionmaker",
    "sqlalchemy.orm.session.Session": "sqlalchemy.orm.Session",
    "sqlalchemy.engine.create_engine": "sqlalchemy.create_engine",
    "sqlalchemy.engine.create.create_engine": "sqlalchemy.create_engine",
    "sqlmodel.create_engine": "sqlalchemy.create_engine",
    "sqlmodel.Session": "sqlalchemy.orm.Session",
    "sqlalchemy.NullPool": "sqlalchemy.pool.NullPool",
    "sqlalchemy.StaticPool": "sqlalchemy.pool.StaticPool",
    "sqlalchemy.QueuePool": "sqlalchemy.pool.QueuePool",
    "sqlalchemy.AsyncAdaptedQueuePool": "sqlalchemy.pool.AsyncAdaptedQueuePool",
    "sqlalchemy.SingletonThreadPool": "sqlalchemy.pool.SingletonThreadPool",
    "sqlalchemy.pool.impl.NullPool": "sqlalchemy.pool.NullPool",
    "sqlalchemy.pool.impl.StaticPool": "sqlalchemy.pool.StaticPool",
    "sqlalchemy.pool.impl.QueuePool": "sqlalchemy.pool.QueuePool",
    "sqlalchemy.pool.impl.AsyncAdaptedQueuePool": "sqlalchemy.pool.AsyncAdaptedQueuePool",
    "sqlalchemy.pool.impl.SingletonThreadPool": "sqlalchemy.pool.SingletonThreadPool",
    "asyncpg.connection.Connection": "asyncpg.Connection",
    "asyncpg.connection.connect": "asyncpg.connect",
    "asyncpg.pool.Pool": "asyncpg.Pool",
    "asyncpg.pool.create_pool": "asyncpg.create_pool",
    "aiohttp.client.ClientSession": "aiohttp.ClientSession",
    "asyncio.queues.Queue": "asyncio.Queue",
    "asyncio.locks.Lock": "asyncio.Lock",
    "asyncio.locks.Event": "asyncio.Event",
    "asyncio.locks.Semaphore": "asyncio.Semaphore",
    "asyncio.tasks.sleep": "asyncio.sleep",
    "asyncio.tasks.gather": "asyncio.gather",
    "asyncio.tasks.create_task": "asyncio.create_task",
    "asyncio.tasks.ensure_future": "asyncio.ensure_future",
    "asyncio.events.get_event_loop": "asyncio.get_event_loop",
    "asyncio.events.new_event_loop": "asyncio.new_event_loop",
    "asyncio.events.set_event_loop": "asyncio.set_event_loop",
    "asyncio.runners.run": "asyncio.run",
    "asyncio.runners.Runner": "asyncio.Runner",
    "mock.Mock": "unittest.mock.Mock",
    "mock.MagicMock": "unittest.mock.MagicMock",
    "mock.AsyncMock": "unittest.mock.AsyncMock",
    "mock.patch": "unittest.mock.patch",
    "_pytest.fixtures.fixture": "pytest.fixture",
    "pytest_asyncio.plugin.fixture": "pytest_asyncio.fixture",
    "_pytest.mark.MARK_GEN": "pytest.mark",
}

ASYNC_CLIENT = "httpx.AsyncClient"
SYNC_TEST_CLIENT = "starlette.testclient.TestClient"
ASYNC_SESSION = "sqlalchemy.ext.asyncio.AsyncSession"
ASYNC_ENGINE = "sqlalchemy.ext.asyncio.AsyncEngine"
ASYNC_CONNECTION = "sqlalchemy.ext.asyncio.AsyncConnection"
ASYNC_SESSIONMAKER = "sqlalchemy.ext.asyncio.async_sessionmaker"
CREATE_ASYNC_ENGINE = "sqlalchemy.ext.asyncio.create_async_engine"

FIXTURE_DECORATORS = {"pytest.fixture": "pytest", "pytest_asyncio.fixture": "pytest_asyncio"}

#: Coroutine methods per type: calling one without awaiting it does nothing.
ASYNC_METHODS: dict[str, frozenset[str]] = {
    ASYNC_CLIENT: frozenset("get post put patch delete head options request send aclose".split()),
    ASYNC_SESSION: frozenset(
        "execute scalar scalars get get_one commit rollback flush refresh delete close merge "
        "stream stream_scalars run_sync connection invalidate reset".split()
    ),
    ASYNC_ENGINE: frozenset({"dispose"}),
    ASYNC_CONNECTION: frozenset(
        "execute scalar scalars commit rollback run_sync close stream stream_scalars "
        "invalidate get_raw_connection exec_driver_sql".split()
    ),
    "asyncpg.Connection": frozenset(
        "execute executemany fetch fetchrow fetchval fetchmany close prepare copy_from_table "
        "copy_to_table copy_records_to_table copy_from_query set_type_codec reload_schema_state "
        "reset add_listener remove_listener".split()
    ),
    "asyncpg.Pool": frozenset(
        "execute executemany fetch fetchrow fetchval close release expire_connections".split()
    ),
    "aiohttp.ClientSession": frozenset(
        "get post put patch delete head options request ws_connect close".split()
    ),
    "asyncio.Queue": frozenset({"get", "put", "join"}),
    "asyncio.Lock": frozenset({"acquire"}),
    "asyncio.Event": frozenset({"wait"}),
    "asyncio.Semaphore": frozenset({"acquire"}),
    "asyncio.Condition": frozenset({"acquire", "wait", "wait_for"}),
}

#: Module-level coroutine functions (or awaitables that do nothing until awaited).
ASYNC_FUNCTIONS: frozenset[str] = frozenset(
    {
        "asyncio.sleep",
        "asyncio.wait_for",
        "asyncio.wait",
        "asyncio.open_connection",
        "asyncio.start_server",
        "asyncio.open_unix_connection",
        "asyncio.start_unix_server",
        "asyncio.create_subprocess_exec",
        "asyncio.create_subprocess_shell",
        "asyncio.to_thread",
        "asyncpg.connect",
        "asyncpg.create_pool",
        "aiosqlite.connect",
        "anyio.sleep",
        "trio.sleep",
    }
)

#: Calls whose result is awaitable *and* an async context manager: ``async with`` is fine too.
ASYNC_CONTEXT_AWAITABLES: frozenset[str] = frozenset(
    {"asyncpg.create_pool", "aiosqlite.connect"}
    | {
        f"aiohttp.ClientSession.{m}"
        for m in "get post put patch delete head options request".split()
    }
)

#: Calls that construct a value of a known type: qualified callable -> type.
CONSTRUCTORS: dict[str, str] = {
    ASYNC_CLIENT: ASYNC_CLIENT,
    "httpx.Client": "httpx.Client",
    SYNC_TEST_CLIENT: SYNC_TEST_CLIENT,
    ASYNC_SESSION: ASYNC_SESSION,
    CREATE_ASYNC_ENGINE: ASYNC_ENGINE,
    "sqlalchemy.ext.asyncio.async_engine_from_config": ASYNC_ENGINE,
    ASYNC_SESSIONMAKER: ASYNC_SESSIONMAKER,
    "sqlalchemy.create_engine": "sqlalchemy.engine.Engine",
    "sqlalchemy.orm.Session": "sqlalchemy.orm.Session",
    "asyncpg.connect": "asyncpg.Connection",
    "asyncpg.create_pool": "asyncpg.Pool",
    "aiohttp.ClientSession": "aiohttp.ClientSession",
    "asyncio.Queue": "asyncio.Queue",
    "asyncio.Lock": "asyncio.Lock",
    "asyncio.Event": "asyncio.Event",
    "asyncio.Semaphore": "asyncio.Semaphore",
    "asyncio.Condition": "asyncio.Condition",
    "fastapi.FastAPI": "fastapi.FastAPI",
    "fastapi.APIRouter": "fastapi.APIRouter",
    "starlette.applications.Starlette": "starlette.applications.Starlette",
    "unittest.mock.Mock": "unittest.mock.Mock",
    "unittest.mock.MagicMock": "unittest.mock.MagicMock",
    "unittest.mock.NonCallableMock": "unittest.mock.Mock",
    "unittest.mock.NonCallableMagicMock": "unittest.mock.MagicMock",
    "unittest.mock.AsyncMock": "unittest.mock.AsyncMock",
}

#: Method calls that return a value of a known type: (receiver type, method) -> type.
METHOD_RESULTS: dict[tuple[str, str], str] = {
    (ASYNC_ENGINE, "connect"): ASYNC_CONNECTION,
    (ASYNC_ENGINE, "begin"): ASYNC_CONNECTION,
    (ASYNC_SESSIONMAKER, "__call__"): ASYNC_SESSION,
    (ASYNC_SESSIONMAKER, "begin"): ASYNC_SESSION,
    ("sqlalchemy.orm.sessionmaker", "__call__"): "sqlalchemy.orm.Session",
    ("sqlalchemy.engine.Engine", "connect"): "sqlalchemy.engine.Connection",
    ("sqlalchemy.engine.Engine", "begin"): "sqlalchemy.engine.Connection",
    ("asyncpg.Pool", "acquire"): "asyncpg.Connection",
}

#: Types that hold a resource bound to the event loop it first used.
LOOP_BOUND_TYPES: frozenset[str] = frozenset(
    {
        ASYNC_ENGINE,
        ASYNC_CONNECTION,
        ASYNC_SESSION,
        ASYNC_SESSIONMAKER,
        "asyncpg.Connection",
        "asyncpg.Pool",
        "aiohttp.ClientSession",
        ASYNC_CLIENT,
        "asyncio.Queue",
        "asyncio.Lock",
        "asyncio.Event",
        "asyncio.Semaphore",
        "asyncio.Condition",
        "asyncio.Future",
        "asyncio.Task",
    }
)

#: Types that must be closed; returning one from a fixture leaks it (LD203).
CLOSEABLE_TYPES: frozenset[str] = frozenset(
    {
        ASYNC_CLIENT,
        "httpx.Client",
        "aiohttp.ClientSession",
        ASYNC_SESSION,
        ASYNC_ENGINE,
        ASYNC_CONNECTION,
        "asyncpg.Connection",
        "asyncpg.Pool",
    }
)

SYNC_MOCKS: frozenset[str] = frozenset(
    {
        "unittest.mock.Mock",
        "unittest.mock.MagicMock",
        "unittest.mock.NonCallableMock",
        "unittest.mock.NonCallableMagicMock",
    }
)
ASYNC_MOCK = "unittest.mock.AsyncMock"

#: Dialect driver -> whether its default pool keeps connections between checkouts.
POOLED_ASYNC_DRIVERS: frozenset[str] = frozenset(
    {"asyncpg", "psycopg", "psycopg_async", "aiomysql", "asyncmy", "aioodbc", "oracledb_async"}
)

SCOPES: tuple[str, ...] = ("function", "class", "module", "package", "session")


def canonical(name: str | None) -> str | None:
    """Map an imported spelling of a known API onto its canonical name."""
    if name is None:
        return None
    if name in ALIASES:
        return ALIASES[name]
    # ``unittest.mock.patch.object`` and friends resolve through their prefix.
    head, _, tail = name.rpartition(".")
    if head in ALIASES and tail:
        return f"{ALIASES[head]}.{tail}"
    return name


def scope_rank(scope: str | None) -> int:
    """Order of pytest scopes; an unknown scope ranks as function."""
    try:
        return SCOPES.index(scope or "function")
    except ValueError:
        return 0
