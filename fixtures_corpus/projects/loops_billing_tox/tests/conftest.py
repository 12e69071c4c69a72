import pytest_asyncio


@pytest_asyncio.fixture
async def invoice_lines() -> list[tuple[int, int]]:
    return [(2, 500), (1, 999)]
