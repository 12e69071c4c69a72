"""Same module-level engine, with command_timeout: the symptom becomes "Event loop is closed"."""

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

engine = create_async_engine(
    "postgresql+asyncpg://postgres@127.0.0.1:5432/test", connect_args={"command_timeout": 30}
)


@pytest.mark.asyncio
async def test_timeout_first() -> None:
    async with engine.connect() as conn:
        assert (await conn.execute(text("select 1"))).scalar() == 1


@pytest.mark.asyncio
async def test_timeout_second() -> None:
    async with engine.connect() as conn:
        assert (await conn.execute(text("select 2"))).scalar() == 2
