import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from inventory import services


async def test_add_item(db_session: AsyncSession) -> None:
    item = await services.add_item(db_session, "B-2", 3)
    assert item.quantity == 3
    assert await services.stock_of(db_session, "B-2") == 3


async def test_report_uses_a_session_per_task(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    assert await services.stock_report(session_factory, ["X", "Y"]) == [0, 0]


async def test_sequential_reads(db_session: AsyncSession) -> None:
    for sku in ("C-1", "C-2"):
        assert await services.stock_of(db_session, sku) == 0
    await asyncio.sleep(0)
