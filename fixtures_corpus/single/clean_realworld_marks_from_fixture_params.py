# config: asyncio_mode = strict
# config: asyncio_default_fixture_loop_scope = function
# Real-world LD201 near miss (an ASGI lifespan helper's suite): the async tests carry no
# marker themselves; a parametrised fixture's `pytest.param(..., marks=...)` gives each test
# instance the asyncio or trio mark, and pytest applies those marks to the test.
import asyncio

import pytest


@pytest.fixture(
    params=[
        pytest.param("asyncio", marks=pytest.mark.asyncio),
        pytest.param("trio", marks=[pytest.mark.trio]),
    ]
)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.mark.usefixtures("backend")
async def test_startup_then_shutdown() -> None:
    await asyncio.sleep(0)


async def test_backend_named(backend: str) -> None:
    assert backend in ("asyncio", "trio")
