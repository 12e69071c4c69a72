import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app import repository
from app.models import Customer


@pytest.fixture
async def customer(db_session: AsyncSession) -> Customer:
    return await repository.create_customer(db_session, "carol@example.com")
