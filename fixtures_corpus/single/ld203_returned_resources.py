# Fixtures that return a resource they created: nothing closes it after the test.
import aiohttp
import asyncpg
import httpx
import pytest
import pytest_asyncio
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.main import app

DSN = "postgresql://postgres@localhost:5432/test"
engine = create_async_engine("sqlite+aiosqlite://")
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


@pytest_asyncio.fixture
async def client() -> AsyncClient:
    return AsyncClient(  # error: [LD203]
        transport=ASGITransport(app=app),
        base_url="http://test",
    )


@pytest_asyncio.fixture
async def db_session() -> AsyncSession:
    session = SessionLocal()
    await session.begin()
    return session  # error: [LD203]


@pytest_asyncio.fixture
async def pg_connection():
    return await asyncpg.connect(DSN)  # error: [LD203]


@pytest.fixture
def sync_client():
    client = httpx.Client(base_url="http://localhost:8000", timeout=5)
    return client  # error: [LD203]


@pytest_asyncio.fixture
async def http_session():
    async with aiohttp.ClientSession(base_url="http://localhost:8000") as session:
        return session  # error: [LD203]


@pytest.mark.asyncio
async def test_items(client, db_session, pg_connection, http_session):
    response = await client.get("/items")
    assert response.status_code == 200
    assert await pg_connection.fetchval("select 1") == 1


def test_sync(sync_client):
    assert sync_client.get("/health").status_code == 200


@pytest_asyncio.fixture
async def streaming_client():
    yield AsyncClient(base_url="http://localhost:8000")  # error: [LD203]


@pytest_asyncio.fixture
async def report_session():
    session = SessionLocal()
    await session.begin()
    yield session  # error: [LD203]
