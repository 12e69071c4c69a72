# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# config: httpx-version = 0.26.0
# With httpx pinned below 0.27 the shortcut still works: reported as a warning for the upgrade.
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

app = FastAPI()


@pytest.fixture
async def client():
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as ac:  # error: [LD601]
        yield ac


@pytest.fixture
async def transport_client():
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as ac:
        yield ac


async def test_both(client, transport_client):
    assert client.base_url == transport_client.base_url
