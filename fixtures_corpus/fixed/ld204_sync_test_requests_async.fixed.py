# Strict mode: sync tests and sync fixtures that request async fixtures nobody awaits get a
# coroutine (or async generator) object instead of the value.
import pytest
import pytest_asyncio
from pytest import fixture


@pytest_asyncio.fixture
async def api_token():  # error: [LD202]
    return "token-123"


@pytest_asyncio.fixture
async def redis_url():  # error: [LD202]
    yield "redis://localhost:6379/0"


@pytest_asyncio.fixture
async def feature_flags():
    return {"new_checkout": True}


def test_token_format(api_token):  # error: [LD204]
    assert api_token.startswith("token-")


def test_flags_and_url(
    feature_flags,
    redis_url,  # error: [LD204]
):
    assert feature_flags["new_checkout"]
    assert redis_url.startswith("redis://")


@pytest.fixture
def headers(api_token):  # error: [LD204]
    return {"Authorization": f"Bearer {api_token}"}


@pytest.mark.usefixtures("redis_url")  # error: [LD204]
def test_cache_warmup():
    assert True


class TestSyncClass:
    def test_method_gets_coroutine(self, api_token):  # error: [LD204]
        assert api_token
