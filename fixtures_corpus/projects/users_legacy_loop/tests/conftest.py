import asyncio

import pytest
from httpx import AsyncClient

from app.database import Base, engine
from app.main import app


@pytest.fixture(scope="session")
def event_loop():  # error: [LD101]
    loop = asyncio.get_event_loop_policy().new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="session", autouse=True)
async def setup_db():
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)


@pytest.fixture
async def client():
    async with AsyncClient(app=app, base_url="http://test") as ac:  # error: [LD601]
        yield ac
