# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Apps with startup/shutdown work driven through ASGITransport, which never runs the lifespan.
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from httpx import ASGITransport, AsyncClient


class Cache:
    def __init__(self) -> None:
        self.items: dict[str, str] = {}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.cache = Cache()
    yield
    app.state.cache.items.clear()


api = FastAPI(lifespan=lifespan)


@api.get("/cache/{key}")
async def read_key(key: str) -> dict:
    return {"value": api.state.cache.items.get(key)}


legacy = FastAPI()


@legacy.on_event("startup")
async def connect() -> None:
    legacy.state.ready = True


events = APIRouter()


@events.on_event("shutdown")
async def flush_events() -> None:
    return None


with_router = FastAPI()
with_router.include_router(events)


async def warm_up() -> None:
    return None


def create_app() -> FastAPI:
    app = FastAPI(on_startup=[warm_up])
    return app


@pytest.fixture
async def client():
    async with AsyncClient(transport=ASGITransport(app=api), base_url="http://test") as ac:  # error: [LD604]
        yield ac


@pytest.fixture
def fresh_app() -> FastAPI:
    return create_app()


@pytest.fixture
async def fresh_client(fresh_app):
    transport = ASGITransport(app=fresh_app)
    # error: [LD604]
    async with AsyncClient(
        transport=transport,
        base_url="http://test",
    ) as ac:
        yield ac


async def test_cache_read(client):
    response = await client.get("/cache/a")
    assert response.status_code == 200


async def test_legacy_startup():
    transport = httpx.ASGITransport(app=legacy)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as ac:  # error: [LD604]
        assert (await ac.get("/")).status_code == 404


async def test_router_shutdown_handlers():
    async with AsyncClient(transport=ASGITransport(app=with_router), base_url="http://t") as ac:  # error: [LD601, LD604]
        assert (await ac.get("/missing")).status_code == 404


async def test_factory_app(fresh_client):
    assert (await fresh_client.get("/")).status_code == 404
