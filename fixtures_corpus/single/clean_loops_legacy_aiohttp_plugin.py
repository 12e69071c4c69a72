# Legacy aiohttp test suites: aiohttp's own pytest plugin awaits every coroutine test and
# async fixture on its `loop` fixture, so nothing here is unmarked or unawaited.
import asyncio

import pytest
from aiohttp import web

pytest_plugins = ["aiohttp.pytest_plugin"]


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="hello")


@pytest.fixture
async def app() -> web.Application:
    application = web.Application()
    application.router.add_get("/", hello)
    return application


@pytest.fixture
async def greeting():
    await asyncio.sleep(0)
    yield "hello"


async def test_hello(aiohttp_client, app, greeting):
    client = await aiohttp_client(app)
    response = await client.get("/")
    assert await response.text() == greeting
