import httpx
import pytest
import pytest_asyncio

from accounts.client import AccountsClient


def _handler(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"balance": 1200})


@pytest_asyncio.fixture
async def http() -> httpx.AsyncClient:
    return httpx.AsyncClient(  # error: [LD203]
        transport=httpx.MockTransport(_handler), base_url="http://accounts.test"
    )


@pytest_asyncio.fixture
async def accounts(http) -> AccountsClient:  # error: [LD202]
    return AccountsClient(http)
