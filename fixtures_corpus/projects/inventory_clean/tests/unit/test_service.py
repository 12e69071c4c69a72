import asyncio
import time
from unittest.mock import AsyncMock, MagicMock, patch

import pytest

from inventory import service
from inventory.service import StockService, notify_warehouse, reserve_many


@pytest.mark.asyncio
async def test_reserve_uses_count() -> None:
    svc = StockService(session=MagicMock())
    with patch.object(StockService, "count", new=AsyncMock(return_value=5)) as count:
        assert await svc.reserve("A", 2) is True
    count.assert_awaited_once_with("A")
    assert svc.describe() == "stock"


@pytest.mark.asyncio
async def test_reserve_many(mocker) -> None:
    mocker.patch.object(StockService, "reserve", return_value=True)
    results = await reserve_many(StockService(session=MagicMock()), ["a", "b"])
    assert results == [True, True]


@pytest.mark.asyncio
async def test_notify_is_patched(monkeypatch) -> None:
    fake = AsyncMock()
    monkeypatch.setattr(service, "notify_warehouse", fake)
    await service.notify_warehouse("A")
    fake.assert_awaited_once()


@pytest.mark.asyncio
async def test_tasks_are_awaited() -> None:
    started = time.perf_counter()
    async with asyncio.TaskGroup() as tg:
        first = tg.create_task(notify_warehouse("a"))
        tg.create_task(notify_warehouse("b"))
    task = asyncio.create_task(notify_warehouse("c"))
    await task
    assert first.done()
    assert time.perf_counter() - started < 5


@pytest.mark.anyio
async def test_runs_under_anyio() -> None:
    await notify_warehouse("anyio")


def test_sync_helper() -> None:
    assert StockService(session=MagicMock()).describe() == "stock"
