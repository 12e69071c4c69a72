# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Fixtures that create an engine and never dispose it: the pool outlives the fixture.
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
import sqlalchemy as sa
import sqlalchemy.ext.asyncio as sa_async
from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool

URL = "postgresql+asyncpg://app@localhost/app_test"


class Base(DeclarativeBase):
    pass


def make_engine(url: str = URL) -> sa_async.AsyncEngine:
    return create_async_engine(url, poolclass=NullPool)


# teardown drops the schema but forgets the pool
@pytest_asyncio.fixture
async def engine() -> AsyncIterator[sa_async.AsyncEngine]:
    eng = create_async_engine(URL, poolclass=NullPool)  # error: [LD502]
    async with eng.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield eng
    async with eng.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)


# the engine hides behind the session it feeds
@pytest_asyncio.fixture
async def session() -> AsyncIterator[AsyncSession]:
    eng = sa_async.create_async_engine(URL, poolclass=NullPool)  # error: [LD502]
    factory = async_sessionmaker(eng, expire_on_commit=False)
    async with factory() as s:
        yield s


# a sync engine returned through its sessionmaker
@pytest.fixture(scope="session")
def sync_factory() -> sessionmaker[Session]:
    eng = create_engine("postgresql://app@localhost/app_test")  # error: [LD502]
    Base.metadata.create_all(eng)
    return sessionmaker(bind=eng)


# a sync engine returned as is (LD203 covers async engines only)
@pytest.fixture
def sync_engine() -> sa.Engine:
    return sa.create_engine("sqlite:///./test.db")  # error: [LD502]


# built by a project helper
@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def helper_engine() -> AsyncIterator[sa_async.AsyncEngine]:
    eng = make_engine()  # error: [LD502]
    yield eng
    async with eng.connect() as conn:
        await conn.execute(sa.text("select 1"))


# a yield fixture using try/finally that closes the session, not the engine
@pytest_asyncio.fixture
async def tx_session() -> AsyncIterator[AsyncSession]:
    eng = create_async_engine(URL, poolclass=NullPool)  # error: [LD502]
    s = AsyncSession(eng, expire_on_commit=False)
    try:
        yield s
    finally:
        await s.close()


# LD203's shape: an AsyncEngine handed over by `return` is reported there, once
@pytest_asyncio.fixture
async def returned_engine() -> sa_async.AsyncEngine:
    return create_async_engine(URL, poolclass=NullPool)  # error: [LD203]


async def test_uses(
    engine, session, sync_factory, sync_engine, helper_engine, tx_session, returned_engine
) -> None:
    await session.execute(sa.text("select 1"))


# closing the session is not disposing the engine
@pytest_asyncio.fixture
async def db_session() -> AsyncIterator[AsyncSession]:
    eng = create_async_engine(URL, poolclass=NullPool)  # error: [LD502]
    db_session = AsyncSession(eng, expire_on_commit=False)
    yield db_session
    await db_session.close()


async def test_db_session(db_session) -> None:
    await db_session.execute(sa.text("select 1"))


# yielded with nothing after the yield: LD502's, not LD203's
@pytest_asyncio.fixture
async def bare_engine() -> AsyncIterator[sa_async.AsyncEngine]:
    eng = create_async_engine(URL, poolclass=NullPool)  # error: [LD502]
    yield eng


async def test_bare(bare_engine) -> None:
    assert bare_engine is not None


# the admin engine is disposed, the test database's engine is not
@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def test_database() -> AsyncIterator[sa_async.AsyncEngine]:
    admin = create_async_engine(URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(sa.text("create database app_test_db"))
    await admin.dispose()
    eng = create_async_engine(URL + "_db", poolclass=NullPool)  # error: [LD502]
    yield eng
    async with eng.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)


async def test_database_fixture(test_database) -> None:
    assert test_database is not None
