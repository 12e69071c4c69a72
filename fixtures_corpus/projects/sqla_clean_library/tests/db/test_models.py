from sqlalchemy import select
from sqlalchemy.orm import Session

from library.models import Book


def test_roundtrip(db_session: Session) -> None:
    db_session.add(Book(isbn="2", title="b"))
    db_session.commit()
    assert db_session.scalar(select(Book.title).where(Book.isbn == "2")) == "b"
