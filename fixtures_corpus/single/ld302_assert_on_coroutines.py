# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Assertions on un-awaited coroutines and AsyncMock calls: always true, nothing runs.
from unittest import mock
from unittest.mock import AsyncMock, patch

import pytest
from httpx import ASGITransport, AsyncClient
from fastapi import FastAPI

app = FastAPI()


class UserRepository:
    async def exists(self, user_id: int) -> bool:
        return user_id > 0

    def cached(self, user_id: int) -> bool:
        return user_id in (1, 2)


async def user_is_active(user_id: int) -> bool:
    return user_id != 13


async def send_welcome_email(address: str) -> bool:
    return "@" in address


@pytest.fixture
async def client():
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as ac:
        yield ac


@pytest.fixture
def repo() -> UserRepository:
    return UserRepository()


@pytest.fixture
def notifier():
    return AsyncMock(return_value=True)


async def test_project_coroutine():
    assert user_is_active(1)  # error: [LD302]


async def test_method_on_fixture_value(repo):
    assert repo.cached(1)
    assert repo.exists(1)  # error: [LD302]


async def test_known_async_api(client):
    assert client.get("/health"), "health check should answer"  # error: [LD302]


async def test_local_async_mock():
    fetch = AsyncMock(return_value={"id": 1})
    assert fetch(1)  # error: [LD302]


async def test_async_mock_from_module_alias():
    gateway = mock.AsyncMock()
    assert gateway.charge(amount=10)  # error: [LD302]


async def test_mocker_patch_of_async_def(mocker):
    sender = mocker.patch(f"{__name__}.send_welcome_email")
    # error: [LD302]
    assert sender("a@example.com")


@patch(f"{__name__}.send_welcome_email", new_callable=AsyncMock)
async def test_patch_decorator(send_mock):
    assert send_mock("a@example.com")  # error: [LD302]


async def test_fixture_async_mock(notifier):
    assert notifier("hello")  # error: [LD302]


async def test_spec_of_a_known_async_api():
    http = AsyncMock(spec=AsyncClient)
    assert http.post("/webhooks", json={})  # error: [LD302]
    assert http.base_url is not None
