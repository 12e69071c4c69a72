import asyncio

import pytest

from app.events import EventBus


@pytest.fixture(scope="module")
async def stock_updates() -> asyncio.Queue:
    # Auto mode runs this async @pytest.fixture; with the default loop scope unset its loop
    # is the module loop, not the tests' function loop.
    queue: asyncio.Queue = asyncio.Queue()
    await queue.put("warmup")
    return queue


@pytest.fixture
def bus() -> EventBus:
    return EventBus()
