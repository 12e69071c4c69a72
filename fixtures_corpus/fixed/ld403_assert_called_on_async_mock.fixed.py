# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# assert_called* on AsyncMocks: passes even if the code under test never awaited the call.
from unittest import mock
from unittest.mock import AsyncMock, MagicMock

import pytest


class EmailGateway:
    async def send(self, to: str, body: str) -> None:
        raise NotImplementedError

    def render(self, template: str) -> str:
        return template


class SignupService:
    def __init__(self, gateway: EmailGateway) -> None:
        self.gateway = gateway

    async def register(self, email: str) -> None:
        await self.gateway.send(email, self.gateway.render("welcome"))


async def publish_event(name: str, payload: dict) -> None:
    raise NotImplementedError


@pytest.fixture
def gateway():
    return AsyncMock(spec=EmailGateway)


async def test_local_async_mock():
    gateway = AsyncMock()
    await SignupService(gateway).register("a@example.com")
    gateway.send.assert_awaited_once_with("a@example.com", mock.ANY)  # error: [LD403]


async def test_spec_mock_from_fixture(gateway):
    await SignupService(gateway).register("b@example.com")
    gateway.send.assert_awaited_once()  # error: [LD403]
    gateway.render.assert_called_once_with("welcome")


async def test_magicmock_with_async_spec():
    gateway = MagicMock(spec=EmailGateway)
    await SignupService(gateway).register("c@example.com")
    gateway.send.assert_awaited()  # error: [LD403]


async def test_mocker_patch_of_coroutine_function(mocker):
    publish = mocker.patch(f"{__name__}.publish_event")
    await publish_event("signup", {"id": 1})
    publish.assert_awaited_once_with("signup", {"id": 1})  # error: [LD403]


async def test_patch_object_context_manager():
    with mock.patch.object(EmailGateway, "send") as send:
        await SignupService(EmailGateway()).register("d@example.com")
    # error: [LD403]
    send.assert_has_awaits(
        [mock.call("d@example.com", "welcome")],
    )


async def test_monkeypatched_attribute(monkeypatch):
    service = SignupService(EmailGateway())
    monkeypatch.setattr(service.gateway, "send", AsyncMock())
    await service.register("e@example.com")
    service.gateway.send.assert_any_await("e@example.com", "welcome")  # error: [LD403]


@pytest.fixture
def autospecced_gateway():
    return mock.create_autospec(EmailGateway, instance=True)


async def test_autospec_fixture(autospecced_gateway):
    await SignupService(autospecced_gateway).register("f@example.com")
    autospecced_gateway.render.assert_called_once_with("welcome")
    autospecced_gateway.send.assert_awaited_once_with("f@example.com", "welcome")  # error: [LD403]


class TestSignupWithSetup:
    @pytest.fixture(autouse=True)
    def _mocks(self, mocker):
        self.publish = mocker.patch(f"{__name__}.publish_event")
        self.gateway = MagicMock()

    async def test_publishes(self):
        await publish_event("signup", {})
        self.publish.assert_awaited_once()  # error: [LD403]
        self.gateway.send.assert_not_called()


async def test_patch_object_on_an_instance(mocker):
    gateway = EmailGateway()
    send = mocker.patch.object(gateway, "send")
    await SignupService(gateway).register("g@example.com")
    send.assert_awaited_once()  # error: [LD403]
