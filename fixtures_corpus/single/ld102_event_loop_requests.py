# Tests and fixtures that still request pytest-asyncio's removed `event_loop` fixture.
import asyncio

import pytest
import pytest_asyncio
from pytest import mark


@pytest_asyncio.fixture
async def queue(event_loop):  # error: [LD102]
    return asyncio.Queue()


@pytest.fixture
def scheduler(request):
    loop = request.getfixturevalue("event_loop")  # error: [LD102]
    return loop


@mark.asyncio
async def test_call_soon(event_loop):  # error: [LD102]
    fut = event_loop.create_future()
    event_loop.call_soon(fut.set_result, 7)
    assert await fut == 7


@pytest.mark.usefixtures("event_loop")  # error: [LD102]
def test_sync_with_loop():
    assert True


class TestWorkers:
    pytestmark = pytest.mark.usefixtures("db", "event_loop")  # error: [LD102]

    @pytest.mark.asyncio
    async def test_in_class(self, event_loop):  # error: [LD102]
        await asyncio.sleep(0)
