from fastapi.testclient import TestClient


def test_add_then_get(client: TestClient) -> None:
    created = client.post("/books", json={"isbn": "9780131103627", "title": "K&R"})
    assert created.status_code == 201
    assert client.get("/books/9780131103627").json()["title"] == "K&R"


def test_duplicate_isbn_is_409_and_isolated(client: TestClient) -> None:
    client.post("/books", json={"isbn": "1", "title": "a"})
    assert client.post("/books", json={"isbn": "1", "title": "b"}).status_code == 409
    assert client.get("/books/1").status_code == 200
