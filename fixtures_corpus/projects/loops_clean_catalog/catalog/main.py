from fastapi import Depends, FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.db import Product, get_session

app = FastAPI(title="catalog")


@app.get("/products")
async def list_products(session: AsyncSession = Depends(get_session)) -> list[dict]:
    rows = (await session.execute(select(Product))).scalars().all()
    return [{"id": p.id, "name": p.name} for p in rows]
