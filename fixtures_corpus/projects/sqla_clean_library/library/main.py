from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from library.database import get_db
from library.models import Book

app = FastAPI()


class BookIn(BaseModel):
    isbn: str
    title: str


@app.post("/books", status_code=201)
def add_book(payload: BookIn, db: Session = Depends(get_db)) -> dict:
    book = Book(isbn=payload.isbn, title=payload.title)
    db.add(book)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise HTTPException(status_code=409) from None
    return {"id": book.id, "isbn": book.isbn}


@app.get("/books/{isbn}")
def get_book(isbn: str, db: Session = Depends(get_db)) -> dict:
    book = db.scalar(select(Book).where(Book.isbn == isbn))
    if book is None:
        raise HTTPException(status_code=404)
    return {"isbn": book.isbn, "title": book.title}
