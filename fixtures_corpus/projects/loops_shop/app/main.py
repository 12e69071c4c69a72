from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Order, get_session

app = FastAPI(title="shop")


class OrderIn(BaseModel):
    sku: str
    quantity: int


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/orders", status_code=201)
async def create_order(payload: OrderIn, session: AsyncSession = Depends(get_session)) -> dict:
    order = Order(sku=payload.sku, quantity=payload.quantity)
    session.add(order)
    await session.commit()
    return {"id": order.id, "sku": order.sku, "quantity": order.quantity}


@app.get("/orders/{order_id}")
async def read_order(order_id: int, session: AsyncSession = Depends(get_session)) -> dict:
    order = (await session.execute(select(Order).where(Order.id == order_id))).scalar_one_or_none()
    if order is None:
        raise HTTPException(status_code=404)
    return {"id": order.id, "sku": order.sku, "quantity": order.quantity}
