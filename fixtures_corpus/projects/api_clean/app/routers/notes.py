"""Note routes."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel

from app.deps import NoteRepository, audit, get_repository, slugify

router = APIRouter(prefix="/notes")


class NoteIn(BaseModel):
    text: str


@router.post("/", status_code=201)
async def create_note(note: NoteIn, repo: NoteRepository = Depends(get_repository)) -> dict:
    note_id = await repo.add(note.text)
    await audit(f"created {note_id}")
    return {"id": note_id, "slug": slugify(note.text)}


@router.get("/{note_id}")
async def read_note(note_id: int, repo: NoteRepository = Depends(get_repository)) -> dict:
    text = await repo.get(note_id)
    if text is None:
        raise HTTPException(status_code=404, detail="not found")
    return {"id": note_id, "text": text}
