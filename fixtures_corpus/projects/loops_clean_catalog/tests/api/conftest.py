from collections.abc import AsyncIterator

import pytest
from httpx import ASGITransport, AsyncClient

from catalog.main import app


@pytest.fixture
async def client() -> AsyncIterator[AsyncClient]:
    """Overrides the root client with an authenticated one for the API tests."""
    headers = {"Authorization": "Bearer test-token"}
    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://test", headers=headers) as ac:
        yield ac


@pytest.fixture
def product_names() -> list[str]:
    return ["lamp", "desk"]
