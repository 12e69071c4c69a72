# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Near misses for LD303: tasks that are kept, awaited, cancelled, collected or grouped.
import asyncio
import contextlib

import pytest


async def tick(n: int) -> int:
    await asyncio.sleep(0)
    return n


background: set[asyncio.Task[int]] = set()


def spawn_helper() -> None:
    """Not a test or fixture: helpers are out of scope."""
    asyncio.ensure_future(tick(0))


@pytest.fixture
async def ticker():
    task = asyncio.create_task(tick(1))
    yield task
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_awaited_later():
    task = asyncio.create_task(tick(2))
    assert await task == 2


async def test_kept_in_a_set():
    task = asyncio.ensure_future(tick(3))
    background.add(task)
    task.add_done_callback(background.discard)
    await asyncio.gather(*background)


async def test_gathered_inline():
    results = await asyncio.gather(asyncio.create_task(tick(4)), asyncio.ensure_future(tick(5)))
    assert results == [4, 5]


async def test_task_group():
    async with asyncio.TaskGroup() as tg:
        tg.create_task(tick(6))
        tg.create_task(tick(7))


async def test_executor_awaited():
    loop = asyncio.get_running_loop()
    assert await loop.run_in_executor(None, sum, [1, 2]) == 3


async def test_passed_on(ticker):
    tasks = [asyncio.create_task(tick(i)) for i in range(3)]
    done, _ = await asyncio.wait(tasks)
    assert len(done) == 3
    assert not ticker.cancelled()
