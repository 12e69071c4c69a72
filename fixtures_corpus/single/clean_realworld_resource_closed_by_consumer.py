# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = session
# Real-world LD203 near miss (a pagination library's suite): one fixture makes a connection
# pool and returns it unopened; the app fixture that requests it opens and closes it with
# `async with pool:` in the app's lifespan. The pool is closed, only not by its maker.
from contextlib import asynccontextmanager

import asyncpg
import pytest
from fastapi import FastAPI

DSN = "postgresql://postgres@localhost/test"


@pytest.fixture(scope="session")
def pool() -> asyncpg.Pool:
    return asyncpg.create_pool(DSN)


@pytest.fixture(scope="session")
def app(pool: asyncpg.Pool) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI):
        async with pool:
            yield

    return FastAPI(lifespan=lifespan)


@pytest.fixture(scope="session")
def http_client_pool() -> asyncpg.Pool:
    return asyncpg.create_pool(DSN, min_size=1)


@pytest.fixture(scope="session")
async def closes_it(http_client_pool: asyncpg.Pool):
    yield http_client_pool
    await http_client_pool.close()
