# Strict mode: async fixtures declared with plain @pytest.fixture are never awaited by
# pytest-asyncio; the marked tests below receive coroutine / async generator objects.
from collections.abc import AsyncIterator

import pytest
from httpx import ASGITransport, AsyncClient
from pytest import fixture
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.main import app

engine = create_async_engine("sqlite+aiosqlite://")
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


@pytest_asyncio.fixture
async def client() -> AsyncIterator[AsyncClient]:  # error: [LD202]
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as ac:
        yield ac


@pytest_asyncio.fixture(scope="module")
async def db_session() -> AsyncIterator[AsyncSession]:  # error: [LD202]
    async with SessionLocal() as session:
        yield session


@pytest_asyncio.fixture(name="user_id")
async def _create_user(db_session: AsyncSession) -> int:  # error: [LD202]
    await db_session.commit()
    return 42


class TestItems:
    @pytest_asyncio.fixture
    async def item(self, client):  # error: [LD202]
        response = await client.post("/items", json={"name": "pen"})
        return response.json()

    @pytest.mark.asyncio
    async def test_item_created(self, item):
        assert item["name"] == "pen"


@pytest.mark.asyncio
async def test_user_lookup(client, user_id):
    response = await client.get(f"/users/{user_id}")
    assert response.status_code == 200
