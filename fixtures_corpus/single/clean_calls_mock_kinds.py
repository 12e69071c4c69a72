# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Near misses for LD402: AsyncMock for async defs, sync mocks for sync defs, awaitable returners.
import asyncio
from collections.abc import Awaitable
from unittest.mock import AsyncMock, MagicMock, patch

import pytest


async def fetch_profile(user_id: int) -> dict:
    return {"id": user_id}


def schedule_refresh(user_id: int) -> "asyncio.Future[dict]":
    return asyncio.ensure_future(fetch_profile(user_id))


def profile_later(user_id: int) -> Awaitable[dict]:
    return fetch_profile(user_id)


def slugify(title: str) -> str:
    return title.lower().replace(" ", "-")


class Cache:
    async def get(self, key: str) -> str | None:
        return None

    def key_for(self, user_id: int) -> str:
        return f"user:{user_id}"


@pytest.fixture
def cache() -> Cache:
    return Cache()


async def test_async_mock_for_async_def():
    with patch(f"{__name__}.fetch_profile", new_callable=AsyncMock) as fetch:
        fetch.return_value = {"id": 1}
        assert await fetch_profile(1) == {"id": 1}
        fetch.assert_awaited_once_with(1)


async def test_async_mock_for_awaitable_returning_defs(mocker):
    mocker.patch(f"{__name__}.schedule_refresh", new=AsyncMock(return_value={"id": 2}))
    mocker.patch(f"{__name__}.profile_later", new_callable=AsyncMock)


async def test_sync_mock_for_sync_def(mocker, monkeypatch, cache):
    mocker.patch(f"{__name__}.slugify", return_value="x")
    monkeypatch.setattr(cache, "key_for", MagicMock(return_value="k"))
    monkeypatch.setattr(cache, "get", AsyncMock(return_value="cached"))
    cache.get = AsyncMock(return_value=None)
    assert await cache.get("k") is None


async def test_return_value_is_an_async_mock(mocker):
    factory = mocker.patch(f"{__name__}.slugify", return_value=AsyncMock())
    assert factory is not None


class Repo:
    async def fetch_user(self, user_id: int) -> dict:
        return {"id": user_id}


class UserService:
    def __init__(self, repo: Repo) -> None:
        self.repo = repo

    def load(self, user_id: int):
        return self.repo.fetch_user(user_id)


async def test_sync_method_returning_a_coroutine(mocker):
    mocker.patch.object(UserService, "load", new_callable=AsyncMock)
