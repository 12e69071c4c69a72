import pytest
from sqlalchemy import select

from catalog.db import Product

pytestmark = pytest.mark.asyncio(loop_scope="function")


async def test_insert_and_read(session):
    session.add(Product(name="lamp"))
    await session.flush()
    rows = (await session.execute(select(Product))).scalars().all()
    assert [p.name for p in rows] == ["lamp"]


class TestQueries:
    async def test_empty_filter(self, session):
        result = await session.execute(select(Product).where(Product.name == "none"))
        assert result.scalars().first() is None
