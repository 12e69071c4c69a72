# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Near misses for LD304: async equivalents, blocking work in sync code or handed to a thread.
import asyncio
import time

import pytest
import requests
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import ASGITransport, AsyncClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

app = FastAPI()
engine = create_engine("sqlite:///./near_miss.db")


@app.get("/ping")
async def ping() -> dict:
    return {"pong": True}


@pytest.fixture
def sync_client():
    with TestClient(app) as client:
        yield client


@pytest.fixture
async def client():
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as ac:
        yield ac


def seed_rows() -> None:
    with Session(engine) as session:
        session.execute(text("select 1"))
        session.commit()


def test_sync_test_may_block(sync_client):
    time.sleep(0)
    assert sync_client.get("/ping").status_code == 200
    assert requests.codes.ok == 200


async def test_async_equivalents(client):
    await asyncio.sleep(0)
    response = await client.get("/ping")
    assert response.status_code == 200


async def test_blocking_work_in_a_thread():
    await asyncio.to_thread(time.sleep, 0)
    await asyncio.to_thread(seed_rows)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, lambda: requests.get("http://localhost:1", timeout=1))

    def helper() -> None:
        time.sleep(0)

    await asyncio.to_thread(helper)


async def test_names_that_only_look_blocking():
    cache: dict[str, int] = {"a": 1}
    assert cache.get("a") == 1
    sleep = asyncio.sleep
    await sleep(0)
