# config: addopts = -p no:xdist
# config: pytest-xdist-version = 3.6.1
# Near miss for LD701: pytest-xdist is installed but switched off in the configuration.
from collections.abc import Iterator

import pytest
import sqlalchemy as sa


@pytest.fixture(scope="session")
def engine() -> Iterator[sa.Engine]:
    eng = sa.create_engine("postgresql://app@localhost/app_test")
    yield eng
    eng.dispose()


def test_engine(engine: sa.Engine) -> None:
    assert engine is not None
