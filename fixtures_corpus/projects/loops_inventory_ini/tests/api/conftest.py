import asyncio

import pytest


@pytest.fixture
async def restock_lock() -> asyncio.Lock:
    return asyncio.Lock()


@pytest.fixture
async def reserved_skus() -> list[str]:
    await asyncio.sleep(0)
    return ["SKU-1", "SKU-2"]
