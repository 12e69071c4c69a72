# Hand-made loops in a suite that pytest-asyncio runs: the sync tests below drive coroutines on
# loops of their own, next to the loops pytest-asyncio manages.
import asyncio
import asyncio as aio
from asyncio import get_event_loop, new_event_loop

import pytest
import pytest_asyncio

from app.services import fetch_user, refresh_cache


@pytest_asyncio.fixture
async def user():
    return await fetch_user(1)


def test_refresh_cache_sync():
    loop = asyncio.new_event_loop()  # error: [LD103]
    asyncio.set_event_loop(loop)  # error: [LD103]
    try:
        result = loop.run_until_complete(refresh_cache())  # error: [LD103]
    finally:
        loop.close()
    assert result is True


def test_fetch_user_with_default_loop():
    user = aio.get_event_loop().run_until_complete(fetch_user(2))  # error: [LD103]
    assert user["id"] == 2


def test_imported_names():
    loop = new_event_loop()  # error: [LD103]
    policy_loop = asyncio.get_event_loop_policy().new_event_loop()  # error: [LD103]
    policy_loop.close()
    assert loop is not get_event_loop()  # error: [LD103]
    loop.close()


@pytest.mark.asyncio
async def test_async_uses_get_event_loop(user):
    loop = asyncio.get_event_loop()  # error: [LD103]
    future = loop.create_future()
    loop.call_soon(future.set_result, user)
    assert await future == user


@pytest.mark.asyncio
async def test_nested_run_until_complete():
    loop = asyncio.get_running_loop()
    loop.run_until_complete(refresh_cache())  # error: [LD103]


@pytest.fixture
def sync_user():
    loop = asyncio.new_event_loop()  # error: [LD103]
    yield loop.run_until_complete(fetch_user(3))  # error: [LD103]
    loop.close()


class TestLegacyStyle:
    def setup_method(self):
        self.loop = asyncio.new_event_loop()  # error: [LD103]

    def teardown_method(self):
        self.loop.close()

    def test_uses_loop(self):
        assert self.loop.run_until_complete(fetch_user(4))  # error: [LD103]
