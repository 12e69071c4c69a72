# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Real-world LD603 near miss (a web framework's tutorial tests): two handlers share one method
# and path, so the first registered wins and the second can never be reached by a request.
# Calling the unreachable one directly is the only way to run its body.
from fastapi import FastAPI
from fastapi.testclient import TestClient

app = FastAPI()


@app.get("/colours")
async def list_colours() -> list[str]:
    return ["red", "green"]


@app.get("/colours")
async def list_colours_again() -> list[str]:
    return ["blue"]


def test_first_registration_wins() -> None:
    assert TestClient(app).get("/colours").json() == ["red", "green"]


async def test_unreachable_handler_body() -> None:
    assert await list_colours_again() == ["blue"]
