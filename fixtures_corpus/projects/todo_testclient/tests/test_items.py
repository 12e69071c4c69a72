from fastapi.testclient import TestClient

from todo.api import app

client = TestClient(app)


def test_add_and_count():  # error: [LD605]
    assert client.post("/items", params={"title": "milk"}).status_code == 200
    assert client.post("/items", params={"title": "eggs"}).status_code == 200
    assert client.get("/items/count").json()["count"] >= 2


def test_count_only():
    assert client.get("/items/count").status_code == 200
