import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


class StockService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def count(self, sku: str) -> int:
        result = await self.session.execute(text("select 1"))
        return int(result.scalar_one())

    async def reserve(self, sku: str, qty: int) -> bool:
        current = await self.count(sku)
        return current >= qty

    def describe(self) -> str:
        return "stock"


async def notify_warehouse(sku: str) -> None:
    await asyncio.sleep(0)


async def reserve_many(service: StockService, skus: list[str]) -> list[bool]:
    return list(await asyncio.gather(*(service.reserve(s, 1) for s in skus)))
