import asyncio
import contextlib
from unittest.mock import AsyncMock, MagicMock

import pytest

from app.deps import NoteRepository, audit


async def test_create_and_read(client):
    created = await client.post("/notes/", json={"text": "Buy milk"})
    assert created.status_code == 201
    note_id = created.json()["id"]
    fetched = await client.get(f"/notes/{note_id}")
    assert fetched.json()["text"] == "Buy milk"


async def test_missing_note(client):
    response = await client.get("/notes/999")
    assert response.status_code == 404


async def test_audit_is_awaited(client, mocker):
    audit_mock = mocker.patch("app.routers.notes.audit", new_callable=AsyncMock)
    await client.post("/notes/", json={"text": "x"})
    audit_mock.assert_awaited_once()


async def test_slug_is_mocked(client, mocker):
    slug = mocker.patch("app.routers.notes.slugify", return_value="fixed")
    response = await client.post("/notes/", json={"text": "Hello World"})
    assert response.json()["slug"] == "fixed"
    slug.assert_called_once_with("Hello World")


async def test_with_fake_repository(client, override_repository):
    override_repository.notes[1] = "preset"
    response = await client.get("/notes/1")
    assert response.status_code == 200


async def test_repository_directly(repository: NoteRepository):
    assert await repository.add("a") == 1
    assert await repository.get(1) == "a"
    assert repository.count() == 1


async def test_audit_helper():
    assert await audit("x") is None


async def test_concurrent_posts(client):
    tasks = [asyncio.create_task(client.post("/notes/", json={"text": str(i)})) for i in range(3)]
    responses = await asyncio.gather(*tasks)
    assert {r.status_code for r in responses} == {201}


async def test_background_waiter():
    event = asyncio.Event()
    waiter = asyncio.create_task(event.wait())
    event.set()
    await asyncio.wait_for(waiter, timeout=1)
    ticker = asyncio.ensure_future(asyncio.sleep(10))
    ticker.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await ticker


async def test_sync_mock_for_sync_method():
    repo = MagicMock(spec=NoteRepository)
    repo.count.return_value = 3
    assert repo.count() == 3
    repo.count.assert_called_once()


@pytest.mark.parametrize("text", ["a", "b c"])
async def test_many(client, text):
    response = await client.post("/notes/", json={"text": text})
    assert response.status_code == 201
