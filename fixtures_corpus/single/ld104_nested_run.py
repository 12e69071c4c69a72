# asyncio.run()/Runner/anyio.run inside coroutines that pytest-asyncio already runs on a loop.
import asyncio
from asyncio import run as run_sync

import anyio
import pytest
import pytest_asyncio

from app.services import fetch_user, refresh_cache, seed_database


@pytest_asyncio.fixture
async def seeded():
    asyncio.run(seed_database())  # error: [LD104]
    yield
    await refresh_cache()


@pytest.mark.asyncio
async def test_fetch_user(seeded):
    user = run_sync(fetch_user(1))  # error: [LD104]
    assert user["id"] == 1


@pytest.mark.asyncio
async def test_runner():
    with asyncio.Runner() as runner:  # error: [LD104]
        runner.run(refresh_cache())


@pytest.mark.asyncio
async def test_anyio_run():
    assert anyio.run(fetch_user, 2)  # error: [LD104]


async def _prepare():
    asyncio.run(seed_database())  # error: [LD104]


@pytest.mark.asyncio
async def test_helper_coroutine():
    await _prepare()
