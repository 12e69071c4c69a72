# config: pytest-asyncio-version = 0.23.8
# pytest-asyncio 0.23: `scope=` on the marker and on @pytest_asyncio.fixture IS the loop scope.
import asyncio

import pytest
import pytest_asyncio


@pytest_asyncio.fixture(scope="module")
async def message_queue():
    queue: asyncio.Queue[str] = asyncio.Queue()
    await queue.put("ready")
    yield queue


@pytest.mark.asyncio(scope="module")
async def test_queue(message_queue):
    assert await message_queue.get() == "ready"


@pytest.mark.asyncio(scope="module")
class TestModuleLoop:
    async def test_same_loop(self, message_queue):
        assert message_queue.empty()
