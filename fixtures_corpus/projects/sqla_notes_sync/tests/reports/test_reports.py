from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session, sessionmaker

from app.models import Note


def test_note_count(report_sessions: sessionmaker[Session]) -> None:
    with report_sessions() as session:
        assert session.scalar(select(func.count(Note.id))) == 0


async def test_async_schema(async_engine: AsyncEngine) -> None:
    async with async_engine.connect() as conn:
        result = await conn.execute(text("select count(*) from notes"))
        assert result.scalar_one() == 0
