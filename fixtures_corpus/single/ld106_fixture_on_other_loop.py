# config: asyncio_default_fixture_loop_scope = function
# Loop-bound values made on one loop and used on another.
import asyncio
from collections.abc import AsyncIterator

import aiohttp
import asyncpg
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

DSN = "postgresql://postgres@localhost:5432/test"
engine = create_async_engine("sqlite+aiosqlite://")
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def pg_pool() -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(DSN, min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def shared_session():
    async with SessionLocal() as session:
        yield session


@pytest_asyncio.fixture
async def repo(shared_session):
    return {"session": shared_session}


@pytest_asyncio.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def seeded_ids():
    await asyncio.sleep(0)
    return {"user": 1, "order": 7}


@pytest.mark.asyncio
async def test_pool_query(pg_pool):  # error: [LD106]
    assert await pg_pool.fetchval("select 1") == 1


@pytest.mark.asyncio
async def test_repository(repo):  # error: [LD106]
    result = await repo["session"].execute(text("select 1"))
    assert result.scalar() == 1


@pytest.mark.asyncio(loop_scope="module")
async def test_module_loop_with_function_session(http):  # error: [LD106]
    async with http.get("http://localhost:8000/health") as response:
        assert response.status == 200


@pytest.mark.asyncio
async def test_ids_only(seeded_ids):  # error: [LD106]
    assert seeded_ids["user"] == 1


@pytest_asyncio.fixture(scope="session", loop_scope="function")
async def lock():  # error: [LD106]
    return asyncio.Lock()
