from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from inventory.db import engine, get_session
from inventory.service import StockService, notify_warehouse


@asynccontextmanager
async def lifespan(app: FastAPI):
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)


@app.get("/stock/{sku}")
async def stock(sku: str, session: AsyncSession = Depends(get_session)) -> dict:
    return {"sku": sku, "count": await StockService(session).count(sku)}


@app.post("/reserve/{sku}")
async def reserve(sku: str, qty: int, session: AsyncSession = Depends(get_session)) -> dict:
    ok = await StockService(session).reserve(sku, qty)
    if ok:
        await notify_warehouse(sku)
    return {"ok": ok}
