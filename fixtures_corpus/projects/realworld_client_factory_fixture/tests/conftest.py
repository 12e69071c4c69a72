from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

ClientFactory = Callable[[FastAPI], AsyncIterator[httpx.AsyncClient]]


@pytest.fixture
def make_client() -> ClientFactory:
    async def _make(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
        async with LifespanManager(app):
            transport = httpx.ASGITransport(app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                yield client

    return _make
