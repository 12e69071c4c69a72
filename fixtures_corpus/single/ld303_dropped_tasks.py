# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Tasks and executor futures created in tests and fixtures, then dropped.
import asyncio
import time
from asyncio import ensure_future as schedule

import pytest


class Broker:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue()

    async def consume(self) -> None:
        while True:
            await self.queue.get()

    async def publish(self, message: str) -> None:
        await self.queue.put(message)


def warm_cache() -> None:
    time.sleep(0)


@pytest.fixture
async def broker():
    broker = Broker()
    asyncio.create_task(broker.consume())  # error: [LD303]
    yield broker


@pytest.fixture
async def warmed():
    loop = asyncio.get_running_loop()
    loop.run_in_executor(None, warm_cache)  # error: [LD303]
    yield


async def test_publish_in_background(broker):
    schedule(broker.publish("hello"))  # error: [LD303]
    await asyncio.sleep(0)


async def test_loop_create_task(broker, warmed):
    asyncio.get_running_loop().create_task(broker.publish("x"))  # error: [LD303]


async def test_named_but_never_used(broker):
    # error: [LD303]
    _ = asyncio.create_task(
        broker.publish("fire and forget"),
    )
    await asyncio.sleep(0.01)
