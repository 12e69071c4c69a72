# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# config: sqlalchemy-version = 1.4.52
# Near miss for LD503 on SQLAlchemy 1.4: the documented SAVEPOINT recipe (session.begin_nested()
# restarted from an after_transaction_end listener) is the fix there.
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def engine() -> AsyncIterator[AsyncEngine]:
    eng = create_async_engine("postgresql+asyncpg://app@localhost/app_test", poolclass=NullPool)
    yield eng
    await eng.dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    async with engine.connect() as conn:
        trans = await conn.begin()
        async_session = AsyncSession(bind=conn, expire_on_commit=False)
        await conn.begin_nested()

        @event.listens_for(async_session.sync_session, "after_transaction_end")
        def restart_savepoint(session, transaction):
            if conn.closed:
                return
            if not conn.in_nested_transaction():
                conn.sync_connection.begin_nested()

        yield async_session
        await async_session.close()
        await trans.rollback()


@pytest.mark.asyncio(loop_scope="session")
async def test_session(session: AsyncSession) -> None:
    await session.execute(text("select 1"))
