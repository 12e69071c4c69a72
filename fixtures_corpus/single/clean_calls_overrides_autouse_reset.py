# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Near miss for LD602: an autouse fixture clears the overrides after every test.
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

app = FastAPI()


def get_db() -> str:
    return "real"


@pytest.fixture(autouse=True)
def reset_overrides():
    yield
    app.dependency_overrides.clear()


@pytest.fixture
async def client():
    app.dependency_overrides[get_db] = lambda: "fake"
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as ac:
        yield ac


async def test_with_fake_db(client):
    app.dependency_overrides[get_db] = lambda: "other fake"
    assert (await client.get("/")).status_code == 404
