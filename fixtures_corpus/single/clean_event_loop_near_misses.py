# Near misses for LD101/LD102: nothing here is a finding.
import asyncio

import pytest
import pytest_asyncio


@pytest.fixture
def event_loop_policy():
    return asyncio.DefaultEventLoopPolicy()


@pytest.fixture
def loop():
    return "not an event loop fixture, just a name"


def event_loop():
    """A plain helper that happens to be called event_loop: not a fixture."""
    return None


def build(event_loop):
    """A helper with an `event_loop` parameter is not a test and not a fixture."""
    return event_loop


class Runner:
    def event_loop(self):
        return asyncio.new_event_loop


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def shared():
    yield 1


@pytest.mark.asyncio(loop_scope="session")
async def test_uses_running_loop(shared):
    loop = asyncio.get_running_loop()
    assert loop.is_running()
