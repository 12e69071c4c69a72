from fastapi.testclient import TestClient


def test_create_and_read(client: TestClient) -> None:
    created = client.post("/notes", json={"title": "groceries"})
    assert created.status_code == 200
    note_id = created.json()["id"]
    assert client.get(f"/notes/{note_id}").json()["title"] == "groceries"


def test_missing_note(client: TestClient) -> None:
    assert client.get("/notes/999").status_code == 404
