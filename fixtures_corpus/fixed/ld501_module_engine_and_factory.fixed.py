# config: asyncio_mode = auto
# Module-level engines used straight from function-loop tests: an aliased import, an
# aiosqlite *file* database (pooled by default since SQLAlchemy 2.1), and a cached factory.
import functools

import sqlalchemy.ext.asyncio as sa_async
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine as make_engine
from sqlalchemy.pool import NullPool

pg = sa_async.create_async_engine("postgresql+asyncpg://app@db/app", poolclass=NullPool)  # error: [LD501]
lite = make_engine("sqlite+aiosqlite:///./test.db", poolclass=NullPool)  # error: [LD501]


@functools.lru_cache
def get_engine():
    return make_engine("mysql+aiomysql://root@127.0.0.1/app", echo=True, poolclass=NullPool)  # error: [LD501]


async def test_pg_one():
    async with pg.connect() as conn:
        await conn.execute(text("select 1"))


async def test_pg_two():
    async with pg.begin() as conn:
        await conn.execute(text("select 2"))


async def test_lite_one():
    async with lite.connect() as conn:
        await conn.execute(text("select 1"))


async def test_lite_two():
    async with lite.connect() as conn:
        await conn.execute(text("select 2"))


async def test_mysql_one():
    async with get_engine().connect() as conn:
        await conn.execute(text("select 1"))


async def test_mysql_two():
    async with get_engine().connect() as conn:
        await conn.execute(text("select 2"))
