# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Real-world LD304 near miss (a structured-concurrency library's suite): the test blocks on
# purpose to overrun a deadline, and says so with flake8-async's code for this very call.
import asyncio
import time


async def test_deadline_overrun_is_reported() -> None:
    started = time.monotonic()
    time.sleep(0.02)  # noqa: ASYNC251
    await asyncio.sleep(0)
    assert time.monotonic() - started >= 0.02


async def test_overrun_by_several_steps() -> None:
    for _ in range(2):
        time.sleep(0.01)  # noqa: E501, ASYNC251
        await asyncio.sleep(0)
