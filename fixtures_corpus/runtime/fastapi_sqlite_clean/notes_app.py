"""A small FastAPI app over async SQLAlchemy; the engine is injected, never global."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel
from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))


class NoteIn(BaseModel):
    title: str


def create_app(engine: AsyncEngine) -> FastAPI:
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)
        yield

    app = FastAPI(lifespan=lifespan)

    async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
        async with sessions() as session:
            yield session

    @app.post("/notes", status_code=201)
    async def create(note: NoteIn, session: AsyncSession = Depends(get_session)) -> dict:
        row = Note(title=note.title)
        session.add(row)
        await session.commit()
        return {"id": row.id, "title": row.title}

    @app.get("/notes/{note_id}")
    async def read(note_id: int, session: AsyncSession = Depends(get_session)) -> dict:
        row = await session.get(Note, note_id)
        if row is None:
            raise HTTPException(404)
        return {"id": row.id, "title": row.title}

    @app.get("/notes")
    async def list_notes(session: AsyncSession = Depends(get_session)) -> list[dict]:
        rows = (await session.execute(select(Note).order_by(Note.id))).scalars()
        return [{"id": r.id, "title": r.title} for r in rows]

    return app
