from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from inventory.models import Base

ADMIN_URL = "postgresql+asyncpg://inv:inv@localhost:5432/postgres"


@pytest.fixture(scope="session")
def database_name(worker_id: str) -> str:
    return f"inventory_test_{worker_id}"


@pytest.fixture(scope="session")
async def engine(database_name: str) -> AsyncIterator[AsyncEngine]:
    admin = create_async_engine(ADMIN_URL, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{database_name}"'))
        await conn.execute(text(f'CREATE DATABASE "{database_name}"'))
    eng = create_async_engine(
        f"postgresql+asyncpg://inv:inv@localhost:5432/{database_name}", poolclass=NullPool
    )
    async with eng.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield eng
    await eng.dispose()
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{database_name}"'))
    await admin.dispose()


@pytest.fixture
async def db_session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with engine.connect() as conn:
        trans = await conn.begin()
        session = AsyncSession(
            bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        try:
            yield session
        finally:
            await session.close()
            await trans.rollback()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
