"""The classic: a module-level pooled asyncpg engine used by function-loop tests.

Test 1 opens a pooled connection on its loop; test 2 runs on a new loop and
gets "attached to a different loop"; test 3 gets "another operation is in
progress" from the connection test 2 broke.
"""

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

engine = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:5432/test")


@pytest.mark.asyncio
async def test_first_query() -> None:
    async with engine.connect() as conn:
        assert (await conn.execute(text("select 1"))).scalar() == 1


@pytest.mark.asyncio
async def test_second_query() -> None:
    async with engine.connect() as conn:
        assert (await conn.execute(text("select 2"))).scalar() == 2


@pytest.mark.asyncio
async def test_third_query() -> None:
    async with engine.connect() as conn:
        assert (await conn.execute(text("select 3"))).scalar() == 3
