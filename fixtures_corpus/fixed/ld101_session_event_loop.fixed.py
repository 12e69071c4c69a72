# A conftest-style session loop override in a test module, plus the same pitfall
# spelled through aliases and the `name=` keyword.
import asyncio

import pytest
import pytest_asyncio
from pytest import fixture as pytest_fixture


class TestWithClassLoop:
    @pytest.mark.asyncio
    async def test_runs(self):
        await asyncio.sleep(0)


event_loop = pytest.fixture(scope="module")(lambda: asyncio.new_event_loop())  # error: [LD101]
