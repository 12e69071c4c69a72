from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import repository
from app.db import get_session

app = FastAPI()


class CustomerIn(BaseModel):
    email: str


class OrderIn(BaseModel):
    total_cents: int


@app.post("/customers")
async def create_customer(
    payload: CustomerIn, session: AsyncSession = Depends(get_session)
) -> dict:
    try:
        customer = await repository.create_customer(session, payload.email)
    except IntegrityError:
        await session.rollback()
        raise HTTPException(status_code=409, detail="email taken") from None
    return {"id": customer.id, "email": customer.email}


@app.post("/customers/{customer_id}/orders")
async def place_order(
    customer_id: int, payload: OrderIn, session: AsyncSession = Depends(get_session)
) -> dict:
    order = await repository.place_order(session, customer_id, payload.total_cents)
    return {"id": order.id, "total_cents": order.total_cents}
