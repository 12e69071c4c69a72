from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app import repository
from app.models import Customer


@pytest.fixture
def make_customer(db_session: AsyncSession) -> Callable[[str], Awaitable[Customer]]:
    async def make(email: str) -> Customer:
        return await repository.create_customer(db_session, email)

    return make
