# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# config: sqlalchemy-version = 2.0.36
# The per-test rollback pattern, but the session joins the outer transaction with the default
# join mode: its rollback() ends the isolation.
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from sqlalchemy import create_engine, text
from sqlalchemy import orm as sa_orm
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

URL = "postgresql+asyncpg://app@localhost/app_test"
TestingSessionLocal = sessionmaker(autocommit=False, autoflush=False)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def engine() -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(URL, poolclass=NullPool)
    yield eng
    await eng.dispose()


@pytest.fixture(scope="session")
def sync_engine():
    eng = create_engine("postgresql://app@localhost/app_test")
    yield eng
    eng.dispose()


# async with + awaited begin() + AsyncSession(bind=...)
@pytest_asyncio.fixture(loop_scope="session")
async def db_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with engine.connect() as conn:
        await conn.begin()
        session = AsyncSession(bind=conn, expire_on_commit=False)  # error: [LD503]
        yield session
        await session.close()
        await conn.rollback()


# explicit connection and transaction objects, a sessionmaker bound positionally
@pytest_asyncio.fixture(loop_scope="session")
async def session_factory(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    conn = await engine.connect()
    trans = await conn.begin()
    yield async_sessionmaker(conn, expire_on_commit=False)  # error: [LD503]
    await trans.rollback()
    await conn.close()


# sync form, the classic FastAPI tutorial fixture
@pytest.fixture
def sync_session(sync_engine) -> Iterator[Session]:
    connection = sync_engine.connect()
    transaction = connection.begin()
    session = sa_orm.Session(bind=connection)  # error: [LD503]
    yield session
    session.close()
    transaction.rollback()
    connection.close()


# a module-level sessionmaker called with bind=
@pytest.fixture
def tutorial_session(sync_engine) -> Iterator[Session]:
    with sync_engine.connect() as connection, connection.begin() as transaction:
        session = TestingSessionLocal(bind=connection)  # error: [LD503]
        yield session
        session.close()
        transaction.rollback()


# engine.begin() already opened the outer transaction; the default mode named explicitly
@pytest_asyncio.fixture(loop_scope="session")
async def begun_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with engine.begin() as conn:
        async with AsyncSession(  # error: [LD503]
            conn, expire_on_commit=False, join_transaction_mode="conservative_savepoint"
        ) as session:
            yield session
        await conn.rollback()


@pytest.mark.asyncio(loop_scope="session")
async def test_rollback_in_app(db_session, session_factory, begun_session) -> None:
    await db_session.execute(text("select 1"))


def test_sync(sync_session, tutorial_session) -> None:
    sync_session.execute(text("select 1"))


# split across fixtures: the connection fixture owns the outer transaction
@pytest_asyncio.fixture(loop_scope="session")
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        trans = await conn.begin()
        yield conn
        await trans.rollback()


@pytest_asyncio.fixture(loop_scope="session")
async def split_session(connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    async with AsyncSession(connection, expire_on_commit=False) as session:  # error: [LD503]
        yield session


@pytest.mark.asyncio(loop_scope="session")
async def test_split(split_session: AsyncSession) -> None:
    await split_session.execute(text("select 1"))


# no explicit rollback: closing the never-committed connection rolls the outer transaction back
@pytest_asyncio.fixture(loop_scope="session")
async def closing_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with engine.connect() as conn:
        await conn.begin()
        async with AsyncSession(bind=conn, expire_on_commit=False) as session:  # error: [LD503]
            yield session


@pytest.mark.asyncio(loop_scope="session")
async def test_closing(closing_session: AsyncSession) -> None:
    await closing_session.execute(text("select 1"))
