from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from httpx import ASGITransport, AsyncClient

from app.main import app


@pytest.fixture(scope="session")
def payments_url() -> str:
    return "http://payments.internal:8080"


@pytest_asyncio.fixture(scope="session")
async def payments_http(payments_url: str) -> AsyncIterator[aiohttp.ClientSession]:
    # Loop scope follows the cache scope here (the default loop scope is unset): this
    # session lives on a session-wide loop of its own.
    async with aiohttp.ClientSession(base_url=payments_url) as http:
        yield http


@pytest_asyncio.fixture
async def client() -> AsyncIterator[AsyncClient]:
    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://shop.test") as ac:
        yield ac
