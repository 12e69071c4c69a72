import asyncio

import pytest

from app.events import StockEvent


async def test_warmup_event(stock_updates):  # error: [LD106]
    assert await stock_updates.get() == "warmup"


async def test_publish_reaches_subscriber(bus):
    queue = bus.subscribe()
    await bus.publish(StockEvent("SKU-1", 3))
    event = await asyncio.wait_for(queue.get(), timeout=1)
    assert event.delta == 3


async def test_restock_under_lock(restock_lock, reserved_skus):
    async with restock_lock:
        assert reserved_skus == ["SKU-1", "SKU-2"]


def test_sync_gets_value_in_auto_mode(reserved_skus):
    assert "SKU-1" in reserved_skus


@pytest.mark.asyncio(loop_scope="module")
async def test_on_module_loop(stock_updates):
    assert stock_updates.qsize() >= 0


def test_manual_loop_in_sync_test():
    loop = asyncio.new_event_loop()  # error: [LD103]
    try:
        assert loop.run_until_complete(asyncio.sleep(0, result=1)) == 1  # error: [LD103]
    finally:
        loop.close()
