from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from notes.deps import get_session
from notes.main import app


@pytest.fixture(scope="session")
def engine() -> AsyncEngine:
    return create_async_engine("postgresql+asyncpg://notes@127.0.0.1/notes", poolclass=NullPool)  # error: [LD501, LD203]


@pytest.fixture
def client(engine: AsyncEngine) -> Iterator[TestClient]:
    async def override():
        async with AsyncSession(engine, expire_on_commit=False) as session:
            yield session

    app.dependency_overrides[get_session] = override
    with TestClient(app) as test_client:
        yield test_client
    app.dependency_overrides.clear()
