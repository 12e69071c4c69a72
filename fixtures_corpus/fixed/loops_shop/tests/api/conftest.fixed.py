from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import SessionLocal


@pytest_asyncio.fixture
async def order_payload() -> dict[str, object]:  # error: [LD202]
    return {"sku": "SKU-1", "quantity": 2}


@pytest_asyncio.fixture
async def db_session() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        yield session
        await session.rollback()
