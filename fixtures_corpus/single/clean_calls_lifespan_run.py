# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Near misses for LD604: the lifespan runs (LifespanManager, TestClient as a context manager,
# lifespan_context), or the app has no startup work at all.
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import ASGITransport, AsyncClient


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.ready = True
    yield


app = FastAPI(lifespan=lifespan)
plain = FastAPI()


@pytest.fixture
async def managed_client():
    async with LifespanManager(app) as manager:
        transport = ASGITransport(app=manager.app)
        async with AsyncClient(transport=transport, base_url="http://test") as ac:
            yield ac


@pytest.fixture
async def started_app():
    async with LifespanManager(app):
        yield app


@pytest.fixture
async def client(started_app):
    async with AsyncClient(transport=ASGITransport(app=started_app), base_url="http://t") as ac:
        yield ac


@pytest.fixture
async def plain_client():
    async with AsyncClient(transport=ASGITransport(app=plain), base_url="http://t") as ac:
        yield ac


@pytest.fixture
def sync_client():
    with TestClient(app) as tc:
        yield tc


async def test_managed(managed_client, client, plain_client):
    assert (await managed_client.get("/")).status_code == 404
    assert (await client.get("/")).status_code == 404
    assert (await plain_client.get("/")).status_code == 404


async def test_lifespan_context_by_hand():
    async with app.router.lifespan_context(app):
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as ac:
            assert (await ac.get("/")).status_code == 404


def test_sync_client(sync_client):
    assert sync_client.get("/").status_code == 404


@pytest.fixture
async def running():
    async with LifespanManager(app):
        yield


@pytest.fixture
async def bare_client():
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as ac:
        yield ac


async def test_lifespan_requested_next_to_the_client(running, bare_client):
    assert (await bare_client.get("/")).status_code == 404
