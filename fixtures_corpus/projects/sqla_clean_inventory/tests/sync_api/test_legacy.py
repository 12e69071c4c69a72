from fastapi.testclient import TestClient


def test_list_items(legacy_client: TestClient) -> None:
    assert legacy_client.get("/legacy/items").json() == []
