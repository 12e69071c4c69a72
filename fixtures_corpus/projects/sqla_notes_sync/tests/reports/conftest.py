from collections.abc import AsyncIterator

import pytest
from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

from app.database import Base


@pytest.fixture(scope="module")
def report_sessions() -> sessionmaker[Session]:
    reporting = create_engine("sqlite:///./reports.db")  # error: [LD502]
    Base.metadata.create_all(reporting)
    return sessionmaker(bind=reporting, expire_on_commit=False)


@pytest.fixture
async def async_engine() -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine("sqlite+aiosqlite://")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield engine
    await engine.dispose()
