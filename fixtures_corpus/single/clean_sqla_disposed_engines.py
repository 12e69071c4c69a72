# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Near misses for LD502: every engine a fixture creates is disposed somewhere in teardown.
import contextlib
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

URL = "postgresql+asyncpg://app@localhost/app_test"
ENGINES: dict[str, AsyncEngine] = {}
shared_engine = create_async_engine(URL, poolclass=NullPool)


async def close_db(engine: AsyncEngine) -> None:
    await engine.dispose()


@pytest_asyncio.fixture
async def engine() -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(URL, poolclass=NullPool)
    yield eng
    await eng.dispose()


@pytest_asyncio.fixture
async def engine_finally() -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(URL, poolclass=NullPool)
    try:
        yield eng
    finally:
        await eng.dispose()


@pytest_asyncio.fixture
async def session_via_helper() -> AsyncIterator[AsyncSession]:
    eng = create_async_engine(URL, poolclass=NullPool)
    async with async_sessionmaker(eng, expire_on_commit=False)() as s:
        yield s
    await close_db(eng)


@pytest.fixture
def sync_engine(request: pytest.FixtureRequest) -> sa.Engine:
    eng = sa.create_engine("sqlite:///./test.db")
    request.addfinalizer(eng.dispose)
    return eng


@pytest.fixture
def stacked_engine() -> Iterator[sa.Engine]:
    with contextlib.ExitStack() as stack:
        eng = sa.create_engine("sqlite:///./other.db")
        stack.callback(eng.dispose)
        yield eng


# a dependent fixture disposes what this one yields
@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def raw_engine() -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(URL, poolclass=NullPool)
    yield eng
    async with eng.begin() as conn:
        await conn.execute(sa.text("drop schema if exists app cascade"))


@pytest_asyncio.fixture(scope="session", loop_scope="session", autouse=True)
async def dispose_raw_engine(raw_engine: AsyncEngine) -> AsyncIterator[None]:
    yield
    await raw_engine.dispose()


# stored beyond the fixture: disposed by whoever owns the registry
@pytest_asyncio.fixture
async def registered_engine() -> AsyncIterator[None]:
    ENGINES["main"] = create_async_engine(URL, poolclass=NullPool)
    yield


# not created here: the module-level engine is not this fixture's to dispose
@pytest_asyncio.fixture
async def session() -> AsyncIterator[AsyncSession]:
    async with AsyncSession(shared_engine, expire_on_commit=False) as s:
        yield s


async def test_uses(
    engine, engine_finally, session_via_helper, sync_engine, stacked_engine, raw_engine,
    registered_engine, session,
) -> None:
    await session.execute(sa.text("select 1"))


class Database:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine


# a wrapper owns the engine and is closed in teardown (its close() is not visible here)
@pytest_asyncio.fixture
async def database() -> AsyncIterator[Database]:
    eng = create_async_engine(URL, poolclass=NullPool)
    db = Database(eng)
    yield db
    await db.shutdown()


async def test_database(database) -> None:
    assert database.engine is not None


# a sync in-memory SQLite engine holds nothing outside the process (the SQLModel tutorial)
@pytest.fixture
def memory_session() -> Iterator[sa.orm.Session]:
    eng = sa.create_engine("sqlite://", connect_args={"check_same_thread": False})
    with sa.orm.Session(eng) as session:
        yield session


def test_memory(memory_session) -> None:
    assert memory_session is not None
