# The classic conftest pattern: a session-scoped engine fixture (loop scope = its cache
# scope, since asyncio_default_fixture_loop_scope is unset), function-loop tests.
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


@pytest_asyncio.fixture(scope="session")
async def engine() -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(DATABASE_URL, pool_size=5)  # error: [LD501]
    async with eng.begin() as conn:
        await conn.execute(text("select 1"))
    yield eng
    await eng.dispose()


@pytest_asyncio.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with AsyncSession(engine, expire_on_commit=False) as s:
        yield s


@pytest.mark.asyncio
async def test_insert(session: AsyncSession) -> None:
    await session.execute(text("select 1"))


@pytest.mark.asyncio
async def test_query(session: AsyncSession) -> None:
    await session.execute(text("select 2"))
