from app.deps import Settings


async def test_order_notifies_warehouse(client, as_alice, warehouse):
    response = await client.post("/orders/", json={"lines": []})
    assert response.status_code == 201
    warehouse.assert_awaited_once_with(response.json()["id"])  # error: [LD403]


async def test_health_with_sync_client(sync_client):
    response = sync_client.get("/health")  # error: [LD304]
    assert response.json()["warehouse"] is True


def test_settings_defaults():
    assert Settings().currency == "EUR"
