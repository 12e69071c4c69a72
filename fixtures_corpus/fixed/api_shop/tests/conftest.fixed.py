from collections.abc import AsyncIterator

import pytest
from fastapi.testclient import TestClient
from httpx import ASGITransport, AsyncClient

from app.deps import Settings, get_settings
from app.main import app


@pytest.fixture
def settings() -> Settings:
    return Settings(currency="USD", tax_rate=0.0)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncClient]:
    app.dependency_overrides[get_settings] = lambda: settings  # error: [LD602]
    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://shop") as ac:  # error: [LD604]
        yield ac
    app.dependency_overrides.clear()


@pytest.fixture
def sync_client():
    with TestClient(app) as tc:
        yield tc
