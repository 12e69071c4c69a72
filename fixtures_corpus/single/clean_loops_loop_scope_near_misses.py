# config: asyncio_default_fixture_loop_scope = function
# Near misses for LD106: shared loops that match, sync session fixtures, value-less setup
# fixtures, and engines (LD501's business).
import asyncio

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool


@pytest.fixture(scope="session")
def database_url() -> str:
    return "postgresql+asyncpg://postgres@localhost:5432/test"


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def engine(database_url):
    eng = create_async_engine(database_url, poolclass=NullPool)
    yield eng
    await eng.dispose()


@pytest_asyncio.fixture(scope="session", loop_scope="session", autouse=True)
async def create_schema(engine):
    async with engine.begin() as conn:
        await conn.execute(text("create table if not exists t (id int)"))
    yield


@pytest_asyncio.fixture
async def session(engine):
    factory = async_sessionmaker(engine, expire_on_commit=False)
    async with factory() as s:
        yield s


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_queue():
    return asyncio.Queue()


@pytest.mark.asyncio
async def test_session(session: AsyncSession):
    result = await session.execute(text("select 1"))
    assert result.scalar() == 1


@pytest.mark.asyncio(loop_scope="module")
async def test_module_queue(module_queue):
    await module_queue.put(1)
    assert await module_queue.get() == 1


@pytest.mark.asyncio(loop_scope="module")
class TestModuleLoop:
    async def test_again(self, module_queue):
        assert module_queue.empty()
