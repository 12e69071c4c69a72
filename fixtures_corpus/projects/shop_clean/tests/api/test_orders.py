import asyncio

import pytest
from unittest.mock import AsyncMock, patch

from app.routers.orders import load_order


@pytest.mark.asyncio
async def test_create_then_read(client):
    created = await client.post("/orders", json={"sku": "A-1"})
    assert created.status_code == 200
    fetched = await client.get(f"/orders/{created.json()['id']}")
    assert fetched.json()["id"] == 1


@pytest.mark.asyncio
async def test_read_many_concurrently(client):
    responses = await asyncio.gather(*(client.get(f"/orders/{i}") for i in range(3)))
    assert all(r.status_code == 200 for r in responses)


@pytest.mark.asyncio
async def test_read_with_patched_loader(client):
    with patch("app.routers.orders.load_order", new=AsyncMock(return_value={"id": 9})):
        response = await client.get("/orders/9")
    assert response.json() == {"id": 9}


@pytest.mark.asyncio
async def test_loader_directly(db_session):
    order = await load_order(db_session, 3)
    assert order == {"id": 3}
