# The pytest-asyncio 0.23 spelling of the loop scope on markers; newer versions want loop_scope.
import asyncio

import pytest
from pytest import mark

pytestmark = pytest.mark.asyncio(loop_scope="module")  # error: [LD105]

module_loop = mark.asyncio(loop_scope="module")  # error: [LD105]


async def test_module_loop_is_shared():
    assert asyncio.get_running_loop().is_running()


@pytest.mark.asyncio(loop_scope="module")  # error: [LD105]
async def test_explicit_marker():
    await asyncio.sleep(0)


@module_loop
async def test_marker_through_variable():
    await asyncio.sleep(0)


@pytest.mark.asyncio(
    loop_scope="class",  # error: [LD105]
)
class TestCheckout:
    async def test_cart(self):
        await asyncio.sleep(0)

    async def test_payment(self):
        await asyncio.sleep(0)
