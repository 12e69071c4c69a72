from fastapi import Depends, FastAPI
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from inventory import services
from inventory.db import get_session

app = FastAPI()


class ItemIn(BaseModel):
    sku: str
    quantity: int = 0


@app.post("/items")
async def create_item(payload: ItemIn, session: AsyncSession = Depends(get_session)) -> dict:
    item = await services.add_item(session, payload.sku, payload.quantity)
    return {"id": item.id, "sku": item.sku, "quantity": item.quantity}


@app.get("/items/{sku}/stock")
async def stock(sku: str, session: AsyncSession = Depends(get_session)) -> dict:
    return {"sku": sku, "quantity": await services.stock_of(session, sku)}
