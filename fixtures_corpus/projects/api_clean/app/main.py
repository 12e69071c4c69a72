"""The notes API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.deps import NoteRepository
from app.routers import notes


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.repository = NoteRepository()
    yield
    app.state.repository.notes.clear()


def create_app() -> FastAPI:
    application = FastAPI(title="notes", lifespan=lifespan)
    application.include_router(notes.router)
    return application


app = create_app()
