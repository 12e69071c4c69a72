import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from library.models import Base

BASE_URL = os.getenv("TEST_DATABASE_URL", "postgresql+psycopg://library@localhost")


@pytest.fixture(scope="session")
def engine(worker_id: str) -> Iterator[Engine]:
    eng = create_engine(f"{BASE_URL}/library_test_{worker_id}")
    Base.metadata.create_all(eng)
    yield eng
    Base.metadata.drop_all(eng)
    eng.dispose()


@pytest.fixture
def db_session(engine: Engine) -> Iterator[Session]:
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()
