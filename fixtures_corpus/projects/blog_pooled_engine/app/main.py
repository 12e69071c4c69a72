from fastapi import Depends, FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import get_session

app = FastAPI()


@app.post("/posts")
async def create_post(payload: dict, session: AsyncSession = Depends(get_session)) -> dict:
    await session.execute(text("select 1"))
    return {"id": 1, **payload}


@app.get("/posts/{post_id}")
async def read_post(post_id: int, session: AsyncSession = Depends(get_session)) -> dict:
    await session.execute(text("select 1"))
    return {"id": post_id}
