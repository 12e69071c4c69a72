# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Dependency overrides installed by fixtures and tests and never removed.
from collections.abc import AsyncIterator

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from httpx import ASGITransport, AsyncClient
from pydantic import BaseModel

app = FastAPI()


class Settings(BaseModel):
    debug: bool = False
    feature_flags: tuple[str, ...] = ()


class FakeMailer:
    def __init__(self) -> None:
        self.sent: list[str] = []


def get_settings() -> Settings:
    return Settings()


def get_mailer() -> FakeMailer:
    raise RuntimeError("SMTP is not available in tests")


async def get_current_user() -> dict:
    raise RuntimeError("needs a token")


@app.get("/me")
async def me(user: dict = Depends(get_current_user)) -> dict:
    return user


@pytest.fixture
async def client() -> AsyncIterator[AsyncClient]:
    app.dependency_overrides[get_settings] = lambda: Settings(debug=True)  # error: [LD602]
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as ac:
        yield ac
    app.dependency_overrides.clear()


@pytest.fixture
def sync_client():
    with TestClient(app) as tc:
        yield tc


@pytest.fixture
def mailer(sync_client) -> FakeMailer:
    fake = FakeMailer()
    sync_client.app.dependency_overrides[get_mailer] = lambda: fake  # error: [LD602]
    yield fake
    sync_client.app.dependency_overrides.clear()


async def test_me_as_admin(client):
    # error: [LD602]
    app.dependency_overrides.update(
        {get_current_user: lambda: {"id": 1, "role": "admin"}},
    )
    response = await client.get("/me")
    assert response.json()["role"] == "admin"


async def test_me_with_flags(client):
    app.dependency_overrides = {get_settings: lambda: Settings(feature_flags=("beta",))}  # error: [LD602]
    assert (await client.get("/me")).status_code in (200, 500)


def test_signup_sends_mail(sync_client, mailer):
    sync_client.post("/signup", json={"email": "a@example.com"})
    assert mailer.sent == []
