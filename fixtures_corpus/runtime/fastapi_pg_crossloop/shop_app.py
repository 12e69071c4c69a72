"""FastAPI app with the classic mistake: a module-level pooled asyncpg engine."""

from collections.abc import AsyncIterator

from fastapi import Depends, FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

engine = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:5432/test")
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)

app = FastAPI()


async def get_session() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        yield session


@app.get("/health")
async def health(session: AsyncSession = Depends(get_session)) -> dict:
    value = (await session.execute(text("select 1"))).scalar_one()
    return {"db": value}


@app.get("/count")
async def count(session: AsyncSession = Depends(get_session)) -> dict:
    value = (await session.execute(text("select count(*) from pg_catalog.pg_tables"))).scalar_one()
    return {"tables": value}
