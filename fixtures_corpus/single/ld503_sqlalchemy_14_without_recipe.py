# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# config: sqlalchemy-version = 1.4.52
# SQLAlchemy 1.4: no join_transaction_mode yet; without the SAVEPOINT recipe the session
# ends (or, with legacy settings, commits) the outer transaction.
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

engine = create_engine("postgresql://app@localhost/app_test")
SessionLocal = sessionmaker()


@pytest.fixture
def session() -> Iterator[Session]:
    connection = engine.connect()
    trans = connection.begin()
    factory = sessionmaker(bind=connection)  # error: [LD503]
    db = factory()
    yield db
    db.close()
    trans.rollback()
    connection.close()


def test_session(session: Session) -> None:
    session.execute(text("select 1"))


@pytest.fixture
def configured() -> Iterator[Session]:
    connection = engine.connect()
    trans = connection.begin()
    SessionLocal.configure(bind=connection)  # error: [LD503]
    db = SessionLocal()
    yield db
    db.close()
    trans.rollback()
    connection.close()


def test_configured(configured: Session) -> None:
    configured.execute(text("select 1"))
