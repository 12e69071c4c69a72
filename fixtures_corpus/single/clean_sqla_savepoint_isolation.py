# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# config: sqlalchemy-version = 2.0.36
# Near misses for LD503: the session gets its own SAVEPOINT, or there is no outer transaction.
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from sqlalchemy import create_engine, text
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
SavepointSessionLocal = sessionmaker(join_transaction_mode="create_savepoint")


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


@pytest_asyncio.fixture(loop_scope="session")
async def db_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with engine.connect() as conn:
        await conn.begin()
        session = AsyncSession(
            bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        yield session
        await session.close()
        await conn.rollback()


@pytest_asyncio.fixture(loop_scope="session")
async def factory(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    conn = await engine.connect()
    trans = await conn.begin()
    yield async_sessionmaker(
        bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    await trans.rollback()
    await conn.close()


# a SAVEPOINT on the connection: the default mode then nests inside it
@pytest.fixture
def nested_session(sync_engine) -> Iterator[Session]:
    connection = sync_engine.connect()
    transaction = connection.begin()
    connection.begin_nested()
    session = Session(bind=connection)
    yield session
    session.close()
    transaction.rollback()
    connection.close()


# the factory carries the mode
@pytest.fixture
def factory_session(sync_engine) -> Iterator[Session]:
    with sync_engine.connect() as connection, connection.begin() as transaction:
        session = SavepointSessionLocal(bind=connection)
        yield session
        session.close()
        transaction.rollback()


# no outer transaction: nothing to escape from
@pytest_asyncio.fixture(loop_scope="session")
async def plain_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with engine.connect() as conn:
        async with AsyncSession(bind=conn, expire_on_commit=False) as session:
            yield session


@pytest.mark.asyncio(loop_scope="session")
async def test_rollback_in_app(db_session, factory, plain_session) -> None:
    await db_session.execute(text("select 1"))


def test_sync(nested_session, factory_session) -> None:
    nested_session.execute(text("select 1"))


@pytest_asyncio.fixture(loop_scope="session")
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        trans = await conn.begin()
        yield conn
        await trans.rollback()


@pytest_asyncio.fixture(loop_scope="session")
async def split_session(connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    async with AsyncSession(
        connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    ) as session:
        yield session


# a plain connection fixture (no outer transaction) feeding a session
@pytest_asyncio.fixture(loop_scope="session")
async def plain_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        yield conn


@pytest_asyncio.fixture(loop_scope="session")
async def plain_split_session(plain_connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    async with AsyncSession(plain_connection, expire_on_commit=False) as session:
        yield session


@pytest.mark.asyncio(loop_scope="session")
async def test_split(split_session: AsyncSession, plain_split_session: AsyncSession) -> None:
    await split_session.execute(text("select 1"))


# seeding inside engine.begin(): committed on purpose, no per-test rollback to escape from
@pytest_asyncio.fixture(loop_scope="session")
async def seeded(engine: AsyncEngine) -> AsyncIterator[None]:
    async with engine.begin() as conn:
        session = AsyncSession(conn, expire_on_commit=False)
        await session.execute(text("insert into users (name) values ('ada')"))
        await session.commit()
    yield


@pytest.mark.asyncio(loop_scope="session")
async def test_seeded(seeded: None) -> None:
    assert seeded is None


# the factory carries the mode and is configured with the connection
@pytest.fixture
def configured_session(sync_engine) -> Iterator[Session]:
    connection = sync_engine.connect()
    transaction = connection.begin()
    SavepointSessionLocal.configure(bind=connection)
    session = SavepointSessionLocal()
    yield session
    session.close()
    transaction.rollback()
    connection.close()


def test_configured(configured_session) -> None:
    configured_session.execute(text("select 1"))
