# config: asyncio_default_fixture_loop_scope = session
# Near misses for LD105/LD106: loop_scope spelled the current way, fixtures whose cache scope
# matches the configured default loop scope, and tests on the fixtures' loop.
import asyncio

import pytest
import pytest_asyncio

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(scope="session")
async def message_queue():
    queue: asyncio.Queue[str] = asyncio.Queue()
    await queue.put("ready")
    yield queue


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def lock():
    return asyncio.Lock()


@pytest_asyncio.fixture
async def event():
    return asyncio.Event()


async def test_queue(message_queue, lock, event):
    async with lock:
        assert await message_queue.get() == "ready"
    event.set()


@pytest.mark.asyncio(loop_scope="session")
async def test_explicit_loop_scope(event):
    assert not event.is_set()


class TestScoped:
    pytestmark = pytest.mark.asyncio(loop_scope="session")

    async def test_in_class(self, lock):
        assert not lock.locked()
