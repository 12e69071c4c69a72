# Strict mode (the default): async tests need a marker. These never run their bodies.
import asyncio

import httpx
import pytest
import pytest_asyncio
from httpx import ASGITransport, AsyncClient

from app.main import app


@pytest_asyncio.fixture
async def client():
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as ac:
        yield ac


async def test_health(client):  # error: [LD201]
    response = await client.get("/health")
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/items", "/users"])
async def test_list_endpoints(client, path):  # error: [LD201]
    response = await client.get(path)
    assert response.status_code == 200


@pytest.mark.slow
async def test_slow_report(client: httpx.AsyncClient) -> None:  # error: [LD201]
    await asyncio.sleep(0.1)
    response = await client.get("/reports/daily")
    assert response.json()["status"] == "ready"


class TestUsers:
    async def test_create_user(self, client):  # error: [LD201]
        response = await client.post("/users", json={"name": "ada"})
        assert response.status_code == 201

    @pytest.mark.asyncio
    async def test_marked_method_runs(self, client):
        response = await client.get("/users")
        assert response.status_code == 200


@pytest.mark.usefixtures("client")
class TestOrders:
    pytestmark = pytest.mark.integration

    async def test_order_total(self, client):  # error: [LD201]
        response = await client.get("/orders/1")
        assert response.json()["total"] == 42
