# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# One AsyncSession shared by coroutines that run at the same time.
import asyncio
from asyncio import gather
from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

engine = create_async_engine("sqlite+aiosqlite://")
Factory = async_sessionmaker(engine, expire_on_commit=False)


async def fetch(session: AsyncSession, user_id: int) -> object:
    return await session.get(object, user_id)


async def create(session: AsyncSession, name: str) -> None:
    session.add(name)
    await session.commit()


@pytest_asyncio.fixture
async def db_session() -> AsyncIterator[AsyncSession]:
    async with Factory() as session:
        yield session


async def test_two_helpers(db_session) -> None:
    await asyncio.gather(create(db_session, "a"), create(db_session, "b"))  # error: [LD506]


async def test_generator_fan_out(db_session: AsyncSession) -> None:
    await gather(*(fetch(db_session, i) for i in range(10)))  # error: [LD506]


async def test_method_calls() -> None:
    async with Factory() as session:
        await asyncio.gather(  # error: [LD506]
            session.execute(text("select 1")),
            session.scalars(select(1)),
        )


async def test_task_group(db_session: AsyncSession) -> None:
    async with asyncio.TaskGroup() as tg:
        tg.create_task(create(db_session, "a"))  # error: [LD506]
        tg.create_task(create(db_session, "b"))


async def test_tasks_in_loop(db_session: AsyncSession) -> None:
    tasks = []
    for i in range(3):
        tasks.append(asyncio.create_task(fetch(db_session, i)))  # error: [LD506]
    await asyncio.wait(tasks)


async def test_prebuilt_list(db_session: AsyncSession) -> None:
    jobs = [fetch(db_session, i) for i in range(5)]
    await asyncio.gather(*jobs)  # error: [LD506]


async def test_appended_coroutines(db_session: AsyncSession) -> None:
    pending = []
    for name in ("a", "b"):
        pending.append(create(db_session, name))
    await asyncio.gather(*pending)  # error: [LD506]


async def test_literal_list(db_session: AsyncSession) -> None:
    work = [fetch(db_session, 1), fetch(db_session, 2)]
    await asyncio.gather(*work)  # error: [LD506]
