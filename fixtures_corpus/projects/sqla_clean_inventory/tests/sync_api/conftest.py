from collections.abc import Iterator

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from inventory.models import Base, Item

legacy_app = FastAPI()
engine = create_engine(
    "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
)
LegacySession = sessionmaker(bind=engine, autoflush=False)


def get_db() -> Iterator[Session]:
    with LegacySession() as db:
        yield db


@legacy_app.get("/legacy/items")
def list_items(db: Session = Depends(get_db)) -> list[str]:
    return [item.sku for item in db.scalars(select(Item))]


@pytest.fixture
def legacy_client() -> Iterator[TestClient]:
    Base.metadata.create_all(engine)
    with TestClient(legacy_app) as c:
        yield c
    Base.metadata.drop_all(engine)
