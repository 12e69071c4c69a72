# config: addopts = -p no:asyncio
# pytest-asyncio is switched off for this run, so its marker does nothing: every async test
# below is collected as a plain coroutine function and never awaited.
import asyncio

import pytest
from pytest import mark

pytestmark = [mark.asyncio, pytest.mark.filterwarnings("ignore::DeprecationWarning")]


async def test_queue_roundtrip():  # error: [LD201]
    queue: asyncio.Queue[int] = asyncio.Queue()
    await queue.put(1)
    assert await queue.get() == 1


@pytest.mark.asyncio
async def test_sleep_is_awaited():  # error: [LD201]
    await asyncio.sleep(0)


@pytest.mark.anyio
async def test_anyio_still_runs():
    await asyncio.sleep(0)


def test_sync_is_fine():
    assert asyncio.iscoroutinefunction(test_queue_roundtrip)
