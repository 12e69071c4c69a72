"""asyncio.gather over one fresh AsyncSession (LD506), with a correct NullPool engine."""

import asyncio

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool


@pytest_asyncio.fixture
async def engine():
    eng = create_async_engine(
        "postgresql+asyncpg://postgres@127.0.0.1:5432/test", poolclass=NullPool
    )
    yield eng
    await eng.dispose()


@pytest.mark.asyncio
async def test_gather_on_one_session(engine) -> None:
    async with AsyncSession(engine) as session:
        await asyncio.gather(
            session.execute(text("select 1")), session.execute(text("select 2"))
        )


@pytest.mark.asyncio
async def test_one_session_per_task(engine) -> None:
    async def one(n: int) -> int:
        async with AsyncSession(engine) as session:
            return (await session.execute(text(f"select {n}"))).scalar_one()

    assert await asyncio.gather(one(1), one(2)) == [1, 2]
