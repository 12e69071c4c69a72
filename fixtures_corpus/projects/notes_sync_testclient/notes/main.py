from fastapi import Depends, FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from notes.deps import get_session

app = FastAPI()


@app.get("/notes")
async def list_notes(session: AsyncSession = Depends(get_session)) -> list[dict]:
    rows = await session.execute(text("select id, body from notes"))
    return [dict(row._mapping) for row in rows]
