# Near misses for LD201/LD202/LD204: every async test here is run by some plugin, every
# async fixture is awaited by pytest-asyncio.
import asyncio
import unittest
from unittest import mock

import pytest
import pytest_asyncio
from pytest import mark

asyncio_mark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def token() -> str:
    await asyncio.sleep(0)
    return "secret"


@pytest.fixture
def settings() -> dict[str, str]:
    return {"env": "test"}


@pytest.mark.asyncio
async def test_marked(token):
    assert token == "secret"


@mark.asyncio
async def test_marked_through_from_import(token, settings):
    assert settings["env"] == "test"


@asyncio_mark
async def test_marked_through_alias():
    await asyncio.sleep(0)


@pytest.mark.anyio
async def test_anyio_marked():
    await asyncio.sleep(0)


async def test_anyio_backend_param(anyio_backend):
    await asyncio.sleep(0)


@pytest.mark.trio
async def test_trio_marked():
    pass


class TestMarkedClass:
    pytestmark = pytest.mark.asyncio

    async def test_inherits_class_mark(self, token):
        assert token

    @mock.patch("asyncio.sleep")
    async def test_patched(self, sleep):
        assert sleep is not None


@pytest.mark.asyncio
class TestDecoratedClass:
    async def test_inherits_decorator(self):
        await asyncio.sleep(0)


class TestSubclassOfMarked(TestMarkedClass):
    async def test_inherits_base_pytestmark(self):
        await asyncio.sleep(0)


class TestWithUnittest(unittest.IsolatedAsyncioTestCase):
    async def test_unittest_runs_it(self):
        await asyncio.sleep(0)


async def helper_not_a_test():
    await asyncio.sleep(0)


def test_sync_uses_asyncio_fixture_value(token):
    # pytest-asyncio runs @pytest_asyncio.fixture for sync tests too and hands over the value.
    assert token == "secret"


async def test_async_generator_helper():  # an async generator is not a test pytest awaits
    yield 1
