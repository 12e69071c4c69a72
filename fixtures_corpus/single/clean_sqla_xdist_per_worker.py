# config: addopts = -n auto
# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = session
# config: asyncio_default_test_loop_scope = session
# Near misses for LD701 under xdist: each worker gets its own database, or the fixture is not
# session-scoped, or the database lives in the worker's memory or temp directory.
import os
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

BASE_URL = "postgresql+asyncpg://postgres@localhost:5432"
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "master")
WORKER_DB_URL = f"postgresql://postgres@localhost/app_test_{WORKER}"


@pytest.fixture(scope="session")
def database_url(worker_id: str) -> str:
    return f"{BASE_URL}/app_test_{worker_id}"


@pytest_asyncio.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine(database_url, poolclass=NullPool)
    yield eng
    await eng.dispose()


@pytest.fixture(scope="session")
def env_engine() -> Iterator[sa.Engine]:
    eng = sa.create_engine(WORKER_DB_URL)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def tmp_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    eng = sa.create_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}")
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def memory_engine() -> Iterator[sa.Engine]:
    eng = sa.create_engine("sqlite://")
    yield eng
    eng.dispose()


@pytest.fixture
def per_test_engine() -> Iterator[sa.Engine]:
    eng = sa.create_engine("postgresql://postgres@localhost/app_test")
    yield eng
    eng.dispose()


async def test_engine(
    engine: AsyncEngine, env_engine, tmp_engine, memory_engine, per_test_engine
) -> None:
    async with engine.connect() as conn:
        await conn.exec_driver_sql("select 1")
