# config: addopts = -p anyio -p no:asyncio
# config: anyio_mode = auto
# Real-world LD201/LD204 near miss (an async I/O library's own suite): AnyIO 4.11+ has an
# auto mode that runs every `async def` test, and its async fixtures, with no marker at all.
import anyio
import pytest


@pytest.fixture
async def ready_event() -> anyio.Event:
    event = anyio.Event()
    event.set()
    return event


async def test_event_already_set(ready_event: anyio.Event) -> None:
    await ready_event.wait()


class TestCancelScopes:
    async def test_move_on_after(self) -> None:
        with anyio.move_on_after(0.01):
            await anyio.sleep(1)
