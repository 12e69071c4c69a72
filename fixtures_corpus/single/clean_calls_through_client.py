# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Near misses for LD603/LD604: requests through the client, helpers that are not routes.
import pytest
from fastapi import Depends, FastAPI
from httpx import ASGITransport, AsyncClient

app = FastAPI()


def get_greeting() -> str:
    return "hello"


def build_payload(name: str) -> dict:
    return {"name": name}


@app.get("/greet")
async def greet(greeting: str = Depends(get_greeting)) -> dict:
    return {"greeting": greeting}


@pytest.fixture
async def client():
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as ac:
        yield ac


async def test_greet_through_client(client):
    response = await client.get("/greet")
    assert response.json() == {"greeting": "hello"}


def test_dependency_and_helpers_are_plain_functions():
    assert get_greeting() == "hello"
    assert build_payload("a") == {"name": "a"}


def test_route_table_mentions_handler():
    paths = {route.path for route in app.routes}
    assert "/greet" in paths
    assert app.url_path_for("greet") == "/greet"
    assert greet.__name__ == "greet"
