"""A cache that never evicts: each request test keeps ~1.5 MiB; small steps, steady trend."""

import asyncio

import pytest

_CACHE: dict[int, bytes] = {}


async def handle_request(n: int) -> int:
    await asyncio.sleep(0)
    _CACHE[n] = b"x" * (1536 * 1024)  # "response cache" keyed by request id, never evicted
    return len(_CACHE)


@pytest.mark.parametrize("n", range(12))
async def test_request(n: int) -> None:
    assert await handle_request(n) == n + 1


@pytest.mark.parametrize("n", range(6))
async def test_pure(n: int) -> None:
    await asyncio.sleep(0)
    assert n * 2 == n + n
