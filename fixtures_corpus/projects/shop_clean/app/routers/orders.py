from fastapi import APIRouter, Depends
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.database import get_db

router = APIRouter(prefix="/orders")


async def load_order(session: AsyncSession, order_id: int) -> dict:
    await session.execute(text("select 1"))
    return {"id": order_id}


@router.get("/{order_id}")
async def read_order(order_id: int, session: AsyncSession = Depends(get_db)) -> dict:
    return await load_order(session, order_id)


@router.post("")
async def create_order(payload: dict, session: AsyncSession = Depends(get_db)) -> dict:
    await session.execute(text("select 1"))
    await session.commit()
    return {"id": 1, **payload}
