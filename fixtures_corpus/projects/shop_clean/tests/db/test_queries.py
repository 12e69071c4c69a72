import pytest
from sqlalchemy import text


@pytest.mark.asyncio
async def test_select_one(db_session):
    result = await db_session.execute(text("select 1"))
    assert result.scalar_one() == 1


@pytest.mark.asyncio
async def test_select_two(db_session):
    value = await db_session.scalar(text("select 2"))
    assert value == 2
