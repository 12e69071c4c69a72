"""The same app done right: the engine is created per test loop and disposed."""

from collections.abc import AsyncIterator

from fastapi import Depends, FastAPI, Request
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker


def create_app(engine: AsyncEngine) -> FastAPI:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    app = FastAPI()

    async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
        async with sessions() as session:
            yield session

    @app.get("/health")
    async def health(session: AsyncSession = Depends(get_session)) -> dict:
        return {"db": (await session.execute(text("select 1"))).scalar_one()}

    return app
