# config: asyncio_mode = strict
# config: asyncio_default_fixture_loop_scope = function
# Real-world LD201 near miss (a redis fake's async suite): the module mark list starts empty
# and is filled in by statements, so every async test below is marked for pytest-asyncio.
import asyncio
import sys

import pytest

pytestmark = []
pytestmark.extend([pytest.mark.asyncio])
if sys.platform == "win32":
    pytestmark.append(pytest.mark.skip(reason="no unix sockets"))
pytestmark += [pytest.mark.filterwarnings("ignore::DeprecationWarning")]


async def test_ping_round_trip() -> None:
    await asyncio.sleep(0)


class TestPipelines:
    async def test_queued_commands_run(self) -> None:
        await asyncio.sleep(0)
