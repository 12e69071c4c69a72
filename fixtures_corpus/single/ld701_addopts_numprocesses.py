# config: addopts = -n 4 --dist loadscope
# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = session
# config: asyncio_default_test_loop_scope = session
# pytest-xdist runs 4 workers; these session fixtures give every worker the same database.
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import NullPool

TEST_DB = "postgresql+asyncpg://postgres:postgres@localhost:5432/app_test"
file_engine = create_engine("sqlite:///./shared.db")


class Base(DeclarativeBase):
    pass


@pytest_asyncio.fixture(scope="session")
async def engine() -> AsyncIterator[AsyncEngine]:  # error: [LD701]
    eng = create_async_engine(TEST_DB, poolclass=NullPool)
    async with eng.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    yield eng
    await eng.dispose()


@pytest.fixture(scope="session")
def database_url() -> str:  # error: [LD701]
    return "postgresql://postgres@localhost/reports_test"


@pytest.fixture(scope="session", autouse=True)
def schema():  # error: [LD701]
    Base.metadata.create_all(file_engine)
    yield
    Base.metadata.drop_all(file_engine)


async def test_engine(engine: AsyncEngine, database_url: str) -> None:
    async with engine.connect() as conn:
        await conn.exec_driver_sql("select 1")


BASE = "postgresql+asyncpg://postgres@localhost:5432"


@pytest_asyncio.fixture(scope="session")
async def reports_engine() -> AsyncIterator[AsyncEngine]:  # error: [LD701]
    eng = create_async_engine(f"{BASE}/reports_test", poolclass=NullPool)
    yield eng
    await eng.dispose()


async def test_reports(reports_engine: AsyncEngine) -> None:
    assert reports_engine is not None
