from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Customer, Order


async def create_customer(session: AsyncSession, email: str) -> Customer:
    customer = Customer(email=email)
    session.add(customer)
    await session.commit()
    await session.refresh(customer)
    return customer


async def place_order(session: AsyncSession, customer_id: int, total_cents: int) -> Order:
    order = Order(customer_id=customer_id, total_cents=total_cents)
    session.add(order)
    await session.commit()
    await session.refresh(order)
    return order


async def orders_of(session: AsyncSession, customer_id: int) -> list[Order]:
    result = await session.scalars(select(Order).where(Order.customer_id == customer_id))
    return list(result)
