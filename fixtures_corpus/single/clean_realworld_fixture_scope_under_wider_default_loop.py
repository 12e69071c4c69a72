# config: asyncio_default_fixture_loop_scope = session
# Real-world LD105 near miss (a pagination library's suite): every async fixture runs on the
# session loop by configuration, and `scope="class"` only says how long the value is cached.
# The value is made on a loop that outlives it, so nothing about the old `scope=` meaning bites.
import asyncio

import pytest
import pytest_asyncio


@pytest_asyncio.fixture(scope="class")
async def seeded_rows() -> list[int]:
    await asyncio.sleep(0)
    return [1, 2, 3]


@pytest_asyncio.fixture(scope="module")
async def settings() -> dict[str, int]:
    await asyncio.sleep(0)
    return {"page_size": 2}


@pytest.mark.asyncio(loop_scope="session")
class TestPages:
    async def test_first_page(self, seeded_rows: list[int], settings: dict[str, int]) -> None:
        assert seeded_rows[: settings["page_size"]] == [1, 2]
