"""Order routes, mounted under /orders."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel

from app import services
from app.deps import OrderStore, Settings, get_current_user, get_settings, get_store

router = APIRouter(prefix="/orders", tags=["orders"])


class Line(BaseModel):
    sku: str
    price: float
    qty: int


class OrderIn(BaseModel):
    lines: list[Line]


@router.post("/", status_code=201)
async def create_order(
    order: OrderIn,
    store: OrderStore = Depends(get_store),
    settings: Settings = Depends(get_settings),
    user: dict = Depends(get_current_user),
) -> dict:
    lines = [line.model_dump() for line in order.lines]
    for line in lines:
        if not await services.reserve_stock(line["sku"], line["qty"]):
            raise HTTPException(status_code=409, detail=f"out of stock: {line['sku']}")
    total = services.compute_total(lines, settings.tax_rate)
    order_id = await store.add({"lines": lines, "total": total, "user": user["id"]})
    await services.notify_warehouse(order_id)
    return {"id": order_id, "total": total, "currency": settings.currency}


@router.get("/{order_id}")
async def read_order(order_id: int, store: OrderStore = Depends(get_store)) -> dict:
    order = await store.get(order_id)
    if order is None:
        raise HTTPException(status_code=404, detail="not found")
    return order
