"""Dependencies for the notes API."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request


@dataclass
class NoteRepository:
    notes: dict[int, str] = field(default_factory=dict)

    async def add(self, text: str) -> int:
        note_id = len(self.notes) + 1
        self.notes[note_id] = text
        return note_id

    async def get(self, note_id: int) -> str | None:
        return self.notes.get(note_id)

    def count(self) -> int:
        return len(self.notes)


def get_repository(request: Request) -> NoteRepository:
    return request.app.state.repository


def slugify(text: str) -> str:
    return "-".join(text.lower().split())


async def audit(event: str) -> None:
    return None
