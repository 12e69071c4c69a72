# Near misses for LD301: every coroutine here is awaited, handed on, or not a coroutine.
import asyncio
from collections.abc import AsyncIterator
from unittest.mock import AsyncMock

import pytest
import pytest_asyncio
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

engine = create_async_engine("postgresql+asyncpg://app@db/app", poolclass=NullPool)
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


async def fetch(i: int) -> int:
    return i


async def numbers() -> AsyncIterator[int]:
    yield 1


def fetch_sync(i: int) -> int:
    return i


@pytest_asyncio.fixture
async def client() -> AsyncIterator[AsyncClient]:
    async with AsyncClient(transport=ASGITransport(app=None), base_url="http://t") as c:
        yield c


@pytest.mark.asyncio
async def test_awaited_later(client):
    pending = client.get("/slow")
    other = fetch(2)
    response = await pending
    assert response.status_code == 200
    assert await other == 2


@pytest.mark.asyncio
async def test_handed_on():
    results = await asyncio.gather(fetch(1), fetch(2))
    task = asyncio.create_task(fetch(3))
    await asyncio.wait_for(fetch(4), timeout=1)
    coros = [fetch(i) for i in range(3)]
    await asyncio.gather(*coros)
    assert results == [1, 2]
    assert await task == 3


@pytest.mark.asyncio
async def test_not_coroutines():
    async with SessionLocal() as session:
        session.add(object())
        session.expunge_all()
    async for value in numbers():
        assert value == 1
    assert fetch_sync(1) == 1
    stream = numbers()
    assert stream is not None


@pytest.mark.asyncio
async def test_shadowed_name():
    fetch = AsyncMock(return_value=5)
    fetch.assert_not_called()
    fetch_sync = lambda i: i  # noqa: E731
    fetch_sync(3)


def make_request(client):
    return client.get("/returned")


def run(coro):
    return asyncio.run(coro)


def test_run_wrapper():
    assert run(fetch(1)) == 1


@pytest.mark.asyncio
async def test_session_methods(client):
    async with AsyncSession(engine) as session:
        await session.execute(None)
        await session.commit()
    await make_request(client)


def test_unawaited_on_purpose():
    with pytest.warns(RuntimeWarning, match="was never awaited"):
        fetch(1)
    with pytest.raises(TypeError):
        fetch(1, 2, 3)
