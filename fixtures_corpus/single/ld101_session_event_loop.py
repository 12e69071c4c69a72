# A conftest-style session loop override in a test module, plus the same pitfall
# spelled through aliases and the `name=` keyword.
import asyncio

import pytest
import pytest_asyncio
from pytest import fixture as pytest_fixture


@pytest.fixture(scope="session")
def event_loop():  # error: [LD101]
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest_fixture(name="event_loop")
def _custom_loop():  # error: [LD101]
    policy = asyncio.get_event_loop_policy()
    loop = policy.new_event_loop()
    yield loop
    loop.close()


class TestWithClassLoop:
    @pytest_asyncio.fixture
    def event_loop(self):  # error: [LD101]
        loop = asyncio.new_event_loop()
        yield loop
        loop.close()

    @pytest.mark.asyncio
    async def test_runs(self):
        await asyncio.sleep(0)


event_loop = pytest.fixture(scope="module")(lambda: asyncio.new_event_loop())  # error: [LD101]
