# config: pytest-xdist-version = 3.6.1
# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = session
# config: asyncio_default_test_loop_scope = session
# pytest-xdist is a declared dependency (CI runs `pytest -n auto`); the database is shared.
import os
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
import pytest_asyncio
import sqlalchemy as sa

DSN = os.environ.get("TEST_DSN", "postgresql://postgres@localhost:5432/shop_test")


@pytest.fixture(scope="session")
def sync_engine() -> Iterator[sa.Engine]:  # error: [LD701]
    engine = sa.create_engine(f"sqlite:///{os.getcwd()}/shop.db")
    yield engine
    engine.dispose()


@pytest_asyncio.fixture(scope="session")
async def pool() -> AsyncIterator[asyncpg.Pool]:  # error: [LD701]
    async with asyncpg.create_pool(DSN) as p:
        yield p


async def test_pool(pool: asyncpg.Pool, sync_engine: sa.Engine) -> None:
    assert await pool.fetchval("select 1") == 1
