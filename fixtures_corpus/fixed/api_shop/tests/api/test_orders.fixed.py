import asyncio
import time
from unittest.mock import AsyncMock

import httpx
import pytest

from app import services
from app.api.orders import Line, OrderIn, create_order, read_order
from app.deps import OrderStore, Settings
from app.main import app, health
from app.services import notify_warehouse

ORDER = {"lines": [{"sku": "pen", "price": 2.5, "qty": 2}]}


async def test_create_order(client, as_alice):
    response = await client.post("/orders/", json=ORDER)
    assert response.status_code == 201
    assert response.json()["currency"] == "USD"


async def test_create_order_directly():
    order = OrderIn(lines=[Line(sku="pen", price=2.5, qty=2)])
    # error: [LD603]
    result = await create_order(order, store=OrderStore(), settings=Settings())
    assert result["id"] == 1


async def test_read_missing_order():
    with pytest.raises(Exception):
        await read_order(404, OrderStore())  # error: [LD603]


async def test_health_route():
    assert await health() == {"status": "ok", "warehouse": False}  # error: [LD603]


async def test_warehouse_is_notified(client, as_alice, mocker):
    notify = mocker.patch("app.services.notify_warehouse")
    await client.post("/orders/", json=ORDER)
    notify.assert_awaited_once()  # error: [LD403]


async def test_total_is_mocked(client, as_alice, mocker):
    mocker.patch.object(services, "compute_total", new_callable=AsyncMock)  # error: [LD402]
    response = await client.post("/orders/", json=ORDER)
    assert response.status_code == 201


async def test_notify_returns_true():
    assert notify_warehouse(1)  # error: [LD302]
    assert services.reserve_stock("pen", 1)  # error: [LD302]


async def test_background_notification(client, as_alice):
    asyncio.create_task(services.notify_warehouse(7))  # error: [LD303]
    time.sleep(0.05)  # error: [LD304]
    assert (await client.get("/orders/1")).status_code in (200, 404)


async def test_legacy_client(as_alice):
    # error: [LD601, LD604]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://shop") as legacy:
        response = await legacy.post("/orders/", json=ORDER)
    assert response.status_code == 201
