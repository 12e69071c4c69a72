from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.database import get_db
from app.models import Note

app = FastAPI()


class NoteIn(BaseModel):
    title: str
    body: str = ""


@app.post("/notes")
def create_note(payload: NoteIn, db: Session = Depends(get_db)) -> dict:
    note = Note(title=payload.title, body=payload.body)
    db.add(note)
    db.commit()
    db.refresh(note)
    return {"id": note.id, "title": note.title}


@app.get("/notes/{note_id}")
def read_note(note_id: int, db: Session = Depends(get_db)) -> dict:
    note = db.scalar(select(Note).where(Note.id == note_id))
    if note is None:
        raise HTTPException(status_code=404)
    return {"id": note.id, "title": note.title}
