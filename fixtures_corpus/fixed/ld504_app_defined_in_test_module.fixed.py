# A small app defined next to its tests, its engine on the default in-memory pool: TestClient
# serves the request from a portal thread, which gets a different, empty database.
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi import Depends, FastAPI
from starlette.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

engine = sa.create_engine("sqlite:///:memory:", poolclass=StaticPool, connect_args={"check_same_thread": False})  # error: [LD504]
metadata = sa.MetaData()
users = sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True))
SessionLocal = sessionmaker(bind=engine)
app = FastAPI()


def get_db() -> Iterator[Session]:
    with SessionLocal() as db:
        yield db


@app.get("/users")
def list_users(db: Session = Depends(get_db)) -> list[int]:
    return [row.id for row in db.execute(sa.select(users))]


@pytest.fixture
def client() -> Iterator[TestClient]:
    metadata.create_all(engine)
    with TestClient(app) as c:
        yield c


def test_list_users(client: TestClient) -> None:
    assert client.get("/users").json() == []
