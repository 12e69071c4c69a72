# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Real-world LD602 near miss (a web framework's own tests): the app is built inside the test,
# and a dependency defined in the test installs an override on it. The override dies with the
# test's app, so nothing leaks into other tests.
from typing import Annotated

from fastapi import Depends, FastAPI
from httpx import ASGITransport, AsyncClient


async def test_override_installed_by_a_dependency() -> None:
    app = FastAPI()

    async def real_source() -> str:
        return "real"

    async def fake_source() -> str:
        return "fake"

    async def install_fake() -> None:
        app.dependency_overrides[real_source] = fake_source

    @app.get("/")
    async def endpoint(
        _: Annotated[None, Depends(install_fake)],
        value: Annotated[str, Depends(real_source)],
    ) -> str:
        return value

    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/")).json() == "fake"


def test_override_from_a_callback() -> None:
    app = FastAPI()

    def dependency() -> int:
        return 1

    def install() -> None:
        app.dependency_overrides[dependency] = lambda: 2

    install()
    assert app.dependency_overrides[dependency]() == 2
