# Near miss for LD504: a sync in-memory engine with the default pool, used only from the test's
# own thread (no TestClient anywhere in the suite): one thread, one connection, one database.
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

engine = create_engine("sqlite://")


@pytest.fixture
def session() -> Iterator[Session]:
    with Session(engine) as s:
        yield s


def test_query(session: Session) -> None:
    assert session.execute(text("select 1")).scalar() == 1
