# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Near misses for LD602: every override is removed after the test, or lives on a fresh app.
from unittest.mock import patch

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

app = FastAPI()


def get_db() -> str:
    return "real"


def get_clock() -> float:
    return 0.0


def create_app() -> FastAPI:
    application = FastAPI()
    return application


@pytest.fixture
async def client():
    app.dependency_overrides[get_db] = lambda: "fake"
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as ac:
        yield ac
    app.dependency_overrides.clear()


@pytest.fixture
def fresh_app() -> FastAPI:
    application = create_app()
    application.dependency_overrides[get_db] = lambda: "per-test"
    return application


async def test_override_with_finally(client):
    app.dependency_overrides[get_clock] = lambda: 42.0
    try:
        assert (await client.get("/")).status_code == 404
    finally:
        app.dependency_overrides.pop(get_clock, None)


async def test_override_deleted_at_the_end(client):
    app.dependency_overrides[get_clock] = lambda: 1.0
    assert (await client.get("/")).status_code == 404
    del app.dependency_overrides[get_clock]


async def test_restore_saved_copy(client):
    saved = dict(app.dependency_overrides)
    app.dependency_overrides[get_clock] = lambda: 2.0
    assert (await client.get("/")).status_code == 404
    app.dependency_overrides = saved


async def test_patch_dict_restores(client):
    with patch.dict(app.dependency_overrides, {get_clock: lambda: 3.0}):
        app.dependency_overrides[get_db] = lambda: "inside patch.dict"
        assert (await client.get("/")).status_code == 404


async def test_monkeypatch_setitem(client, monkeypatch):
    monkeypatch.setitem(app.dependency_overrides, get_clock, lambda: 4.0)
    assert (await client.get("/")).status_code == 404


def test_fresh_app(fresh_app):
    fresh_app.dependency_overrides[get_clock] = lambda: 5.0
    assert fresh_app is not app


def test_local_app():
    local = FastAPI()
    local.dependency_overrides[get_db] = lambda: "local"
    assert local.dependency_overrides


@pytest.fixture
def fake_clock():
    app.dependency_overrides[get_clock] = lambda: 99.0


@pytest.fixture
async def clock_client(fake_clock):
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as ac:
        yield ac
    app.dependency_overrides.clear()


async def test_clock(clock_client):
    assert (await clock_client.get("/")).status_code == 404
