import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from app import repository
from app.models import Customer


async def test_orders_of(db_session: AsyncSession, customer: Customer) -> None:
    await repository.place_order(db_session, customer.id, 100)
    orders = await repository.orders_of(db_session, customer.id)
    assert [o.total_cents for o in orders] == [100]


async def test_parallel_orders(db_session: AsyncSession, customer: Customer) -> None:
    await asyncio.gather(  # error: [LD506]
        *(repository.place_order(db_session, customer.id, cents) for cents in (100, 200, 300))
    )
    assert len(await repository.orders_of(db_session, customer.id)) == 3
