import pytest_asyncio

from notify.sender import send


@pytest_asyncio.fixture
async def channel() -> str:
    return "#alerts"


async def test_send(channel):
    assert await send(channel, "disk full")


def test_channel_value_in_sync_test(channel):
    assert channel.startswith("#")
