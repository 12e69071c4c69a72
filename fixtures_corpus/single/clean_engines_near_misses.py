# config: asyncio_mode = auto
# config: sqlalchemy-version = 2.0.36
# Near misses for LD501/LD605: none of these engines carries a connection across loops.
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool, StaticPool

no_pool = create_async_engine("postgresql+asyncpg://app@db/app", poolclass=NullPool)
memory = create_async_engine("sqlite+aiosqlite://")
memory_static = create_async_engine("sqlite+aiosqlite:///:memory:", poolclass=StaticPool)
# SQLAlchemy 2.0 (pinned above): aiosqlite file databases default to NullPool.
file_db = create_async_engine("sqlite+aiosqlite:///./test.db")
only_one_user = create_async_engine("postgresql+asyncpg://app@db/app")


@pytest_asyncio.fixture
async def per_test_engine() -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine("postgresql+asyncpg://app@db/app")
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def shared_engine() -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine("postgresql+asyncpg://app@db/app")
    yield engine
    await engine.dispose()


async def test_no_pool_one():
    async with no_pool.connect() as conn:
        await conn.execute(text("select 1"))


async def test_no_pool_two():
    async with no_pool.connect() as conn:
        await conn.execute(text("select 1"))


async def test_memory_one():
    async with memory.connect() as conn, memory_static.connect() as other:
        await conn.execute(text("select 1"))
        await other.execute(text("select 1"))


async def test_memory_two():
    async with memory.connect() as conn, file_db.connect() as other:
        await conn.execute(text("select 1"))
        await other.execute(text("select 1"))


async def test_file_db():
    async with file_db.connect() as conn:
        await conn.execute(text("select 1"))


async def test_the_only_user():
    async with only_one_user.connect() as conn:
        await conn.execute(text("select 1"))


async def test_per_test_engine(per_test_engine):
    async with per_test_engine.connect() as conn:
        await conn.execute(text("select 1"))


@pytest.mark.asyncio(loop_scope="session")
async def test_shared_one(shared_engine):
    async with shared_engine.connect() as conn:
        await conn.execute(text("select 1"))


@pytest.mark.asyncio(loop_scope="session")
async def test_shared_two(shared_engine):
    async with shared_engine.connect() as conn:
        await conn.execute(text("select 1"))
