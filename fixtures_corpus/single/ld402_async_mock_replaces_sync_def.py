# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# AsyncMock standing in for plain `def` functions and methods: callers get coroutines.
import hashlib
from unittest import mock
from unittest.mock import AsyncMock, patch

import pytest


def hash_password(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def load_feature_flags() -> dict[str, bool]:
    return {"new_checkout": False}


class TokenSigner:
    def sign(self, payload: dict) -> str:
        return repr(sorted(payload.items()))

    @staticmethod
    def now() -> int:
        return 0


class AccountService:
    def __init__(self, signer: TokenSigner) -> None:
        self.signer = signer

    async def login(self, email: str, password: str) -> str:
        digest = hash_password(password)
        return self.signer.sign({"sub": email, "pw": digest})


@pytest.fixture
def signer() -> TokenSigner:
    return TokenSigner()


async def test_patch_new_callable():
    with patch(f"{__name__}.hash_password", new_callable=AsyncMock) as hashed:  # error: [LD402]
        hashed.return_value = "digest"
        await AccountService(TokenSigner()).login("a@example.com", "pw")


async def test_patch_object_new(signer):
    with mock.patch.object(TokenSigner, "sign", mock.AsyncMock(return_value="tok")):  # error: [LD402]
        await AccountService(signer).login("b@example.com", "pw")


async def test_mocker_patch_object_static(mocker):
    # error: [LD402]
    mocker.patch.object(TokenSigner, "now", new_callable=mocker.AsyncMock)
    assert TokenSigner.now is not None


@patch(f"{__name__}.load_feature_flags", new=AsyncMock(return_value={}))  # error: [LD402]
async def test_decorator_patch():
    assert load_feature_flags is not None


async def test_monkeypatch_setattr_on_fixture_value(monkeypatch, signer):
    monkeypatch.setattr(signer, "sign", AsyncMock(return_value="tok"))  # error: [LD402]
    await AccountService(signer).login("c@example.com", "pw")


async def test_attribute_assignment(signer):
    signer.sign = AsyncMock(return_value="tok")  # error: [LD402]
    await AccountService(signer).login("d@example.com", "pw")


async def test_patch_object_on_an_instance(mocker):
    signer = TokenSigner()
    mocker.patch.object(signer, "sign", new_callable=AsyncMock)  # error: [LD402]
    await AccountService(signer).login("e@example.com", "pw")
