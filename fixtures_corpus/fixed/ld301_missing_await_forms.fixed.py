# Unawaited coroutines in the shapes they take in real suites.
import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from httpx import ASGITransport, AsyncClient as Client
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

engine = create_async_engine("postgresql+asyncpg://app@db/app", poolclass=NullPool)
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


async def seed_users(session: AsyncSession, count: int) -> None:
    for _ in range(count):
        await session.flush()


class Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def save(self, item: dict) -> None:
        await self.session.flush()

    async def save_all(self, items: list[dict]) -> None:
        for item in items:
            await self.save(item)  # error: [LD301]


@pytest_asyncio.fixture
async def client() -> AsyncIterator[Client]:
    async with Client(transport=ASGITransport(app=None), base_url="http://test") as c:
        yield c


@pytest_asyncio.fixture
async def session() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as s:
        await seed_users(s, 3)  # error: [LD301]
        yield s


@pytest.mark.asyncio
async def test_health(client):
    response = await client.get("/health")  # error: [LD301]
    assert response.status_code == 200


@pytest.mark.asyncio
async def test_status_inline(client: Client):
    assert (await client.get("/status")).status_code == 200  # error: [LD301]


@pytest.mark.asyncio
async def test_commit(session):
    session.add(object())
    await session.commit()  # error: [LD301]


@pytest.mark.asyncio
async def test_local_client():
    async with httpx.AsyncClient(base_url="http://example.test") as http:
        await http.post("/events", json={})  # error: [LD301]


@pytest.mark.asyncio
async def test_backoff():
    await asyncio.sleep(0.1)  # error: [LD301]
    if await seed_users(None, 1):  # error: [LD301]
        pass


@pytest.mark.asyncio
async def test_nested_helper():
    async def refresh() -> None:
        await asyncio.sleep(0)

    await refresh()  # error: [LD301]


def test_sync_test_calls_coroutine():
    seed_users(None, 2)  # error: [LD301]
