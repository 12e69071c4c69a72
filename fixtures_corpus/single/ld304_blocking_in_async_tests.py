# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Blocking calls made directly inside async tests and async fixtures.
import time
from time import sleep as pause

import httpx
import pytest
import requests
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

app = FastAPI()


@app.get("/health")
async def health() -> dict:
    return {"ok": True}


class Base(DeclarativeBase):
    pass


engine = create_engine("sqlite:///./test.db")
SessionLocal = sessionmaker(bind=engine)


@pytest.fixture
def sync_client():
    with TestClient(app) as client:
        yield client


@pytest.fixture
async def schema():
    Base.metadata.create_all(engine)  # error: [LD304]
    yield
    Base.metadata.drop_all(bind=engine)  # error: [LD304]


async def test_waits_for_worker():
    time.sleep(0.5)  # error: [LD304]
    pause(0.1)  # error: [LD304]


async def test_calls_live_service():
    response = requests.get("http://localhost:8000/health", timeout=5)  # error: [LD304]
    assert response.ok
    assert httpx.post("http://localhost:8000/items", json={}).status_code == 201  # error: [LD304]


async def test_sync_testclient_in_async_test(sync_client, schema):
    response = sync_client.get("/health")  # error: [LD304]
    assert response.json() == {"ok": True}


async def test_sync_orm_session(schema):
    with SessionLocal() as session:
        session.execute(text("select 1"))  # error: [LD304]
        session.commit()  # error: [LD304]
    with Session(engine) as other:
        other.add(Base)
        # error: [LD304]
        other.flush()


async def test_requests_session():
    with requests.Session() as http:
        http.post("http://localhost:8000/login", data={"u": "a"})  # error: [LD304]
