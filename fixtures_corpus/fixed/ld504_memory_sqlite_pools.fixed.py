# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# In-memory SQLite engines whose pool hands the app (or the next checkout) an empty database.
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
import sqlalchemy
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, pool
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import NullPool, StaticPool

from app.database import Base, get_db
from app.main import app

# the FastAPI tutorial fixture without StaticPool: TestClient runs the app in another thread
engine = create_engine(  # error: [LD504]
    "sqlite://", connect_args={"check_same_thread": False}, 
poolclass=StaticPool)
TestingSessionLocal = sessionmaker(autocommit=False, autoflush=False, bind=engine)
Base.metadata.create_all(bind=engine)


def override_get_db():
    db = TestingSessionLocal()
    try:
        yield db
    finally:
        db.close()


app.dependency_overrides[get_db] = override_get_db


@pytest.fixture
def client() -> Iterator[TestClient]:
    local = sqlalchemy.create_engine("sqlite:///:memory:", poolclass=StaticPool, connect_args={"check_same_thread": False})  # error: [LD504]
    Base.metadata.create_all(local)
    with TestClient(app) as c:
        yield c
    local.dispose()


# NullPool: every checkout is a brand-new memory database, even for aiosqlite
@pytest_asyncio.fixture
async def async_engine() -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine("sqlite+aiosqlite:///:memory:", poolclass=StaticPool)  # error: [LD504]
    yield eng
    await eng.dispose()


# a queue pool opens several connections, hence several databases
queue_engine = create_engine("sqlite+pysqlite:///:memory:", poolclass=StaticPool, connect_args={"check_same_thread": False})  # error: [LD504]


def test_read(client: TestClient) -> None:
    assert client.get("/items").status_code == 200


async def test_async(async_engine: AsyncEngine) -> None:
    async with async_engine.connect() as conn:
        await conn.exec_driver_sql("select 1")
