# Near misses for LD103/LD104: loops obtained the supported way, asyncio.run in sync code,
# work handed to another thread, and loop plumbing outside tests.
import asyncio
import threading

import pytest
import pytest_asyncio

from app.services import fetch_user


@pytest_asyncio.fixture
async def user():
    return await fetch_user(1)


@pytest.fixture
def event_loop_policy():
    return asyncio.DefaultEventLoopPolicy()


@pytest.mark.asyncio
async def test_running_loop(user):
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    loop.call_soon(future.set_result, user)
    assert await future == user


@pytest.mark.asyncio
async def test_run_in_thread():
    result = await asyncio.to_thread(lambda: asyncio.run(fetch_user(2)))
    assert result["id"] == 2


@pytest.mark.asyncio
async def test_thread_with_own_loop():
    def worker() -> None:
        asyncio.run(fetch_user(3))

    thread = threading.Thread(target=worker)
    thread.start()
    await asyncio.to_thread(thread.join)


def test_cli_entrypoint_uses_asyncio_run():
    assert asyncio.run(fetch_user(4))["id"] == 4


def pytest_configure(config):
    asyncio.set_event_loop_policy(asyncio.DefaultEventLoopPolicy())


def run(coro):
    """A local helper named run is not asyncio.run."""
    return coro


@pytest.mark.asyncio
async def test_local_run_helper():
    assert run(1) == 1


@pytest.mark.anyio
async def test_anyio_get_running_loop():
    assert asyncio.get_running_loop()
