# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Near misses for LD504: StaticPool, aiosqlite's own StaticPool default, file databases, and a
# shared-cache memory database whose pooled connections all see the same data.
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool, StaticPool

from app.database import Base, get_db
from app.main import app

engine = create_engine(
    "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
)
TestingSessionLocal = sessionmaker(autocommit=False, autoflush=False, bind=engine)
file_engine = create_engine("sqlite:///./test.db", connect_args={"check_same_thread": False})
shared = create_engine(
    "sqlite:///file:testdb?mode=memory&cache=shared&uri=true", poolclass=QueuePool
)


def override_get_db():
    db = TestingSessionLocal()
    try:
        yield db
    finally:
        db.close()


@pytest.fixture
def client() -> Iterator[TestClient]:
    Base.metadata.create_all(bind=engine)
    app.dependency_overrides[get_db] = override_get_db
    with TestClient(app) as c:
        yield c
    app.dependency_overrides.clear()


@pytest_asyncio.fixture
async def async_engine() -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine("sqlite+aiosqlite://")
    yield eng
    await eng.dispose()


@pytest_asyncio.fixture
async def async_memory_engine() -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine("sqlite+aiosqlite:///:memory:", poolclass=StaticPool)
    yield eng
    await eng.dispose()


def test_read(client: TestClient) -> None:
    assert client.get("/items").status_code == 200


async def test_async(async_engine: AsyncEngine, async_memory_engine: AsyncEngine) -> None:
    async with async_engine.connect() as conn:
        await conn.exec_driver_sql("select 1")
