# config: asyncio_mode = auto
# Near misses for LD401: async-aware mocks, sync targets, and specs that make AsyncMocks.
from unittest.mock import AsyncMock, MagicMock, Mock, create_autospec, patch

import pytest


class PaymentGateway:
    async def charge(self, amount: int) -> str:
        return "ok"

    def currency(self) -> str:
        return "EUR"


async def send_email(to: str) -> None:
    return None


def render(template: str) -> str:
    return template


async def fake_send(to: str) -> None:
    return None


@patch(f"{__name__}.send_email")
async def test_plain_patch_makes_async_mock(mock_send):
    await send_email("a@b.c")


async def test_async_mock_new():
    with patch(f"{__name__}.send_email", new=AsyncMock()):
        pass
    with patch.object(PaymentGateway, "charge", new_callable=AsyncMock):
        pass


async def test_sync_target():
    with patch(f"{__name__}.render", new=MagicMock(return_value="x")):
        pass
    with patch.object(PaymentGateway, "currency", Mock(return_value="USD")):
        pass


async def test_spec_and_side_effect():
    with patch(f"{__name__}.send_email", new=Mock(side_effect=fake_send)):
        pass
    gateway = MagicMock(spec=PaymentGateway)
    await gateway.charge(10)
    auto = create_autospec(PaymentGateway)
    await auto.charge(5)


async def test_configured_async_attribute():
    gateway = MagicMock()
    gateway.charge = AsyncMock(return_value="ok")
    await gateway.charge(1)


def test_sync_mock_not_awaited():
    hook = Mock()
    hook("called")
    hook.assert_called_once_with("called")


@pytest.fixture
def async_repo():
    return AsyncMock()


async def test_async_fixture_mock(async_repo):
    await async_repo.get(1)
