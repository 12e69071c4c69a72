# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# The removed `app=` shortcut on httpx clients, spelled through several imports.
import httpx
import pytest
from fastapi import FastAPI
from httpx import AsyncClient as Client, ASGITransport

app = FastAPI()
admin_app = FastAPI()


@app.get("/ping")
async def ping() -> dict:
    return {"pong": True}


@pytest.fixture
async def client():
    async with Client(transport=ASGITransport(app=app), base_url="http://test") as ac:  # error: [LD601]
        yield ac


@pytest.fixture
async def admin_client():
    # error: [LD601]
    async with httpx.AsyncClient(
        base_url="http://admin",
        transport=httpx.ASGITransport(app=admin_app),
    ) as ac:
        yield ac


async def test_ping(client):
    response = await client.get("/ping")
    assert response.status_code == 200


async def test_inline_client():
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as ac:  # error: [LD601]
        assert (await ac.get("/ping")).json() == {"pong": True}


def test_sync_client_shortcut():
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://t") as sync:  # error: [LD601]
        assert sync.base_url.host == "t"
