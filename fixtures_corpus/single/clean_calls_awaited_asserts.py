# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Near misses for LD302/LD403: awaited assertions, sync mocks, awaited-assert helpers.
from unittest.mock import AsyncMock, MagicMock, Mock

import pytest


class PriceService:
    async def quote(self, sku: str) -> int:
        return 10

    def tax(self, price: int) -> int:
        return price // 10


async def is_available(sku: str) -> bool:
    return bool(sku)


def is_valid(sku: str) -> bool:
    return sku.isalnum()


@pytest.fixture
def pricing() -> PriceService:
    return PriceService()


async def test_awaited_asserts(pricing):
    assert await is_available("A1")
    assert await pricing.quote("A1") == 10
    assert is_valid("A1")
    assert pricing.tax(100) == 10


async def test_async_mock_awaited():
    fetch = AsyncMock(return_value=3)
    assert await fetch() == 3
    fetch.assert_awaited_once()
    assert fetch.await_count == 1
    assert fetch.called


async def test_sync_mocks_are_plain_calls():
    formatter = MagicMock(return_value="ok")
    assert formatter("x")
    clock = Mock()
    assert clock.now()
    formatter.assert_called_once_with("x")


async def test_spec_mock_sync_method():
    service = AsyncMock(spec=PriceService)
    assert service.tax(3)
    await service.quote("A1")
    service.quote.assert_awaited_once_with("A1")


async def test_not_called_is_fine():
    hook = AsyncMock()
    hook.assert_not_called()


async def test_assert_on_mock_attribute():
    hook = AsyncMock()
    assert hook.return_value is not None
    assert not hook.called


class Mailer:
    async def deliver(self, to: str) -> None:
        raise NotImplementedError

    def preview(self, to: str) -> str:
        return to


async def test_called_and_awaited_checked_together():
    mailer = AsyncMock(spec=Mailer)
    await mailer.deliver("x@example.com")
    mailer.deliver.assert_called_once_with("x@example.com")
    mailer.deliver.assert_awaited_once()


async def test_sync_child_of_spec_mock():
    mailer = AsyncMock(spec=Mailer)
    mailer.preview("y@example.com")
    mailer.preview.assert_called_once_with("y@example.com")


async def test_magicmock_sync_method(mocker):
    preview = mocker.patch.object(Mailer, "preview")
    Mailer().preview("z")
    preview.assert_called_once_with("z")


async def test_plain_magicmock_helper():
    helper = MagicMock()
    helper("x")
    helper.assert_called_once_with("x")
