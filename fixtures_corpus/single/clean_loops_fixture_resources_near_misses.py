# Near misses for LD203: resources that are yielded inside `async with`, closed in teardown,
# registered with a finalizer, owned by another fixture, or not resources at all.
import contextlib

import httpx
import pytest
import pytest_asyncio
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.main import app

engine = create_async_engine("sqlite+aiosqlite://")
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)
shared_client = httpx.Client(base_url="http://localhost:8000")


@pytest_asyncio.fixture
async def client():
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as ac:
        yield ac


@pytest_asyncio.fixture
async def db_session():
    session = SessionLocal()
    yield session
    await session.close()


@pytest.fixture
def sync_client(request):
    client = httpx.Client(base_url="http://localhost:8000")
    request.addfinalizer(client.close)
    return client


@pytest_asyncio.fixture
async def stacked_client():
    async with contextlib.AsyncExitStack() as stack:
        ac = await stack.enter_async_context(AsyncClient(base_url="http://test"))
        yield ac


@pytest_asyncio.fixture
async def same_session(db_session: AsyncSession) -> AsyncSession:
    return db_session  # owned (and closed) by the db_session fixture


@pytest.fixture
def module_client() -> httpx.Client:
    return shared_client  # created at import time, not by this fixture


@pytest.fixture
def client_factory():
    def make(base_url: str) -> httpx.Client:
        return httpx.Client(base_url=base_url)

    return make


@pytest.fixture
def payload() -> dict[str, str]:
    return {"name": "widget"}


def make_client() -> AsyncClient:
    return AsyncClient(base_url="http://test")  # a helper, not a fixture


@pytest.mark.asyncio
async def test_uses_all(client, db_session, stacked_client, same_session, payload):
    response = await client.post("/items", json=payload)
    assert response.status_code == 201


def test_sync(sync_client, module_client, client_factory):
    assert client_factory("http://x").base_url


@pytest_asyncio.fixture
async def closed_after_yield():
    ac = AsyncClient(base_url="http://test")
    yield ac
    await ac.aclose()


@pytest_asyncio.fixture
async def closed_in_finally():
    session = SessionLocal()
    try:
        yield session
    finally:
        await session.close()


@pytest_asyncio.fixture
async def yielded_from_other_fixture(db_session):
    yield db_session
