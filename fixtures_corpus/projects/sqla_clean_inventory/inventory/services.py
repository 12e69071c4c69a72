import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from inventory.models import Item


async def add_item(session: AsyncSession, sku: str, quantity: int) -> Item:
    item = Item(sku=sku, quantity=quantity)
    session.add(item)
    await session.commit()
    return item


async def stock_of(session: AsyncSession, sku: str) -> int:
    item = await session.scalar(select(Item).where(Item.sku == sku))
    return item.quantity if item else 0


async def stock_report(factory: async_sessionmaker[AsyncSession], skus: list[str]) -> list[int]:
    async def one(sku: str) -> int:
        async with factory() as session:
            return await stock_of(session, sku)

    return await asyncio.gather(*(one(sku) for sku in skus))
