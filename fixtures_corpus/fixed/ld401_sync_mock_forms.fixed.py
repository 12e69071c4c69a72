# config: asyncio_mode = auto
# Sync mocks standing in for coroutine functions, in every spelling teams use.
from unittest import mock
from unittest.mock import MagicMock, Mock, patch, AsyncMock

import pytest


class PaymentGateway:
    async def charge(self, amount: int) -> str:
        return "ok"

    def currency(self) -> str:
        return "EUR"


async def send_email(to: str) -> None:
    return None


class Notifier:
    pass


notifier = Notifier()


@patch(f"{__name__}.send_email", new=AsyncMock(return_value=None))  # error: [LD401]
async def test_decorated_patch():
    pass


async def test_patch_object():
    with patch.object(PaymentGateway, "charge", AsyncMock(return_value="ok")):  # error: [LD401]
        pass


async def test_new_callable():
    with mock.patch(f"{__name__}.send_email", new_callable=mock.AsyncMock):  # error: [LD401]
        pass


async def test_mocker(mocker):
    mocker.patch.object(PaymentGateway, "charge", new=mocker.AsyncMock())  # error: [LD401]


async def test_monkeypatch(monkeypatch):
    monkeypatch.setattr(PaymentGateway, "charge", AsyncMock(return_value="ok"))  # error: [LD401]


async def test_attribute_assignment():
    PaymentGateway.charge = AsyncMock(return_value="declined")  # error: [LD401]


async def test_awaited_sync_mock():
    gateway = MagicMock()
    gateway.currency.return_value = "EUR"
    await gateway.refund(10)  # error: [LD401]


@pytest.fixture
def fake_repo():
    return Mock()


async def test_awaited_fixture_mock(fake_repo):
    await fake_repo.get(1)  # error: [LD401]
