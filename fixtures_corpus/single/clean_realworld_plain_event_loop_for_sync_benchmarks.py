# config: asyncio_mode = strict
# config: asyncio_default_fixture_loop_scope = function
# config: pytest-asyncio-version = 1.0.0
# Real-world LD101/LD102/LD103 near miss (a sync/async bridge library's benchmarks): with
# pytest-asyncio 1.0+ a fixture that happens to be called `event_loop` is an ordinary fixture.
# This module has no async test or fixture: sync benchmarks take the plain loop it makes, run
# a coroutine on it and the fixture closes it.
import asyncio
from collections.abc import Iterator

import pytest


@pytest.fixture
def event_loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def test_attribute_read_inside_a_coroutine(event_loop: asyncio.AbstractEventLoop) -> None:
    async def read() -> int:
        return len("abc")

    assert event_loop.run_until_complete(read()) == 3
