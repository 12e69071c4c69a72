# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Real-world LD504 near miss (an ORM's own suite): the suite has a TestClient fixture and a
# dependency override, but these tests build a memory SQLite engine for themselves, use it
# in their own thread and never hand it to the app: the default pool is fine here.
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

app = FastAPI()


def get_session():  # pragma: no cover - replaced in tests
    raise RuntimeError("no database configured")


@app.get("/count")
def count(session: Session = Depends(get_session)) -> int:
    return session.execute(text("select 1")).scalar_one()


@pytest.fixture
def client():
    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    app.dependency_overrides[get_session] = lambda: Session(engine)
    yield TestClient(app)
    app.dependency_overrides.clear()
    engine.dispose()


def test_count_through_app(client: TestClient) -> None:
    assert client.get("/count").json() == 1


@pytest.mark.parametrize("value", [1, 2])
def test_engine_used_in_this_thread(value: int) -> None:
    engine = create_engine("sqlite://")
    with engine.begin() as connection:
        assert connection.execute(text(f"select {value}")).scalar_one() == value
    engine.dispose()


def test_schema_logged(caplog: pytest.LogCaptureFixture) -> None:
    engine = create_engine("sqlite://", echo=True)
    with Session(engine) as session:
        session.execute(text("create table t (x int)"))
    engine.dispose()
