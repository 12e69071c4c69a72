import asyncio

import pytest
from httpx import AsyncClient

pytestmark = pytest.mark.asyncio


async def test_stock_then_reserve(client: AsyncClient) -> None:
    stock = await client.get("/stock/A-1")
    assert stock.status_code == 200
    reserved = await client.post("/reserve/A-1", params={"qty": 1})
    assert reserved.json() == {"ok": True}


@pytest.mark.parametrize("sku", ["A-1", "B-2", "C-3"])
async def test_each_sku(client: AsyncClient, sku: str) -> None:
    responses = await asyncio.gather(*(client.get(f"/stock/{sku}") for _ in range(2)))
    assert all(r.status_code == 200 for r in responses)


class TestReservations:
    async def test_many(self, client: AsyncClient) -> None:
        for qty in (1, 2, 3):
            response = await client.post("/reserve/Z-9", params={"qty": qty})
            assert response.status_code == 200
