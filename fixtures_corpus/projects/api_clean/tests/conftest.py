from collections.abc import AsyncIterator

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from app.deps import NoteRepository, get_repository
from app.main import app as application


@pytest.fixture
async def app() -> AsyncIterator[FastAPI]:
    async with LifespanManager(application) as manager:
        yield manager.app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://notes") as ac:
        yield ac


@pytest.fixture
def repository() -> NoteRepository:
    return NoteRepository()


@pytest.fixture
def override_repository(repository: NoteRepository):
    application.dependency_overrides[get_repository] = lambda: repository
    yield repository
    application.dependency_overrides.clear()
