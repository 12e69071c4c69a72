# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Near misses for LD506: one session per task, sessions awaited in sequence, a sessionmaker
# (not a session) shared, and a gather that uses the session in only one of its coroutines.
import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

engine = create_async_engine("sqlite+aiosqlite://")
Factory = async_sessionmaker(engine, expire_on_commit=False)


async def fetch(session: AsyncSession, user_id: int) -> object:
    return await session.get(object, user_id)


async def fetch_own(factory: async_sessionmaker[AsyncSession], user_id: int) -> object:
    async with factory() as session:
        return await session.get(object, user_id)


async def ping() -> None:
    await asyncio.sleep(0)


@pytest_asyncio.fixture
async def db_session() -> AsyncIterator[AsyncSession]:
    async with Factory() as session:
        yield session


async def test_factory_per_task() -> None:
    await asyncio.gather(*(fetch_own(Factory, i) for i in range(10)))


async def test_sequential(db_session: AsyncSession) -> None:
    for i in range(3):
        await fetch(db_session, i)


async def test_one_user_of_the_session(db_session: AsyncSession) -> None:
    await asyncio.gather(fetch(db_session, 1), ping())


async def test_two_sessions() -> None:
    async with Factory() as a, Factory() as b:
        await asyncio.gather(a.execute(text("select 1")), b.execute(text("select 2")))


async def test_http_session_is_fine() -> None:
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(session.get("http://a"), session.get("http://b"))


async def test_single_task(db_session: AsyncSession) -> None:
    task = asyncio.create_task(fetch(db_session, 1))
    await task


async def test_appended_own_sessions() -> None:
    pending = []
    for i in range(3):
        pending.append(fetch_own(Factory, i))
    await asyncio.gather(*pending)


async def test_one_appended(db_session: AsyncSession) -> None:
    pending = [ping()]
    pending.append(fetch(db_session, 1))
    await asyncio.gather(*pending)
