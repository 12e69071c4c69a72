# A session-scoped AsyncSession, shared through the client fixture by function-loop tests.
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from fastapi import Depends, FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

engine = create_async_engine("postgresql+asyncpg://app@db/app", poolclass=NullPool)
Session = async_sessionmaker(engine, expire_on_commit=False)
app = FastAPI()


async def get_db() -> AsyncIterator[AsyncSession]:
    async with Session() as session:
        yield session


@app.get("/users/{user_id}")
async def read_user(user_id: int, db: AsyncSession = Depends(get_db)) -> dict:
    await db.execute(text("select 1"))
    return {"id": user_id}


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def db_session() -> AsyncIterator[AsyncSession]:
    async with Session() as session:
        yield session


@pytest_asyncio.fixture
async def client(db_session: AsyncSession) -> AsyncIterator[AsyncClient]:
    app.dependency_overrides[get_db] = lambda: db_session
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as c:
        yield c
    app.dependency_overrides.clear()


@pytest.mark.asyncio
async def test_read_two_users(client: AsyncClient) -> None:  # error: [LD605, LD106]
    assert (await client.get("/users/1")).status_code == 200
    assert (await client.get("/users/2")).status_code == 200


@pytest.mark.asyncio
async def test_read_one_user(client: AsyncClient) -> None:  # error: [LD106]
    assert (await client.get("/users/3")).status_code == 200
