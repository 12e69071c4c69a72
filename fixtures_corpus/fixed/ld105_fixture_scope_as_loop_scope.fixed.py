# config: asyncio_default_fixture_loop_scope = function
# With a default fixture loop scope configured, `scope=` on @pytest_asyncio.fixture no longer
# sets the loop scope (it did in 0.23): these fixtures are cached wider than their loop.
import asyncio

import pytest
import pytest_asyncio


@pytest_asyncio.fixture(scope="module", loop_scope="module")  # error: [LD105]
async def message_queue():  # error: [LD106]
    queue: asyncio.Queue[str] = asyncio.Queue()
    await queue.put("ready")
    yield queue


@pytest_asyncio.fixture(autouse=True, scope="session", loop_scope="session")  # error: [LD105]
async def warm_cache():  # error: [LD106]
    await asyncio.sleep(0)
    yield


@pytest.mark.asyncio(loop_scope="module")
async def test_queue(message_queue):
    assert await message_queue.get() == "ready"
