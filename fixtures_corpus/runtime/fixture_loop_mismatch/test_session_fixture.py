"""A session-loop async fixture used by function-loop tests (pytest-asyncio#944)."""

import asyncio

import pytest
import pytest_asyncio


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def ticket():
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    loop.call_later(0.01, fut.set_result, "ok")
    yield {"loop": loop, "future": fut}


@pytest.mark.asyncio
async def test_same_loop_assumed(ticket) -> None:
    assert ticket["loop"] is asyncio.get_running_loop()


@pytest.mark.asyncio
async def test_awaits_foreign_future(ticket) -> None:
    assert await asyncio.wait_for(ticket["future"], 1) == "ok"


@pytest.mark.asyncio(loop_scope="session")
async def test_on_session_loop(ticket) -> None:
    assert ticket["loop"] is asyncio.get_running_loop()


@pytest_asyncio.fixture
async def local_value():
    yield 42


@pytest.mark.asyncio
async def test_aligned_fixture(local_value) -> None:
    assert local_value == 42


async def _make_schema() -> str:
    await asyncio.sleep(0)
    return "schema"


@pytest.fixture(scope="module")
def schema():
    # A sync fixture running its own short-lived loop: its value is not loop-bound.
    return asyncio.run(_make_schema())


@pytest.mark.asyncio
async def test_sync_fixture_with_own_loop(schema) -> None:
    assert schema == "schema"
