from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from app.main import build_app


@pytest_asyncio.fixture
async def api_client(make_client) -> AsyncIterator[httpx.AsyncClient]:
    async for client in make_client(build_app()):
        yield client


async def test_me(api_client: httpx.AsyncClient) -> None:  # error[info]: [LD106]
    response = await api_client.get("/me")
    assert response.json() == {"name": "ada"}
