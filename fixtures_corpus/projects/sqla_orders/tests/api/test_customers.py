async def test_duplicate_email_is_409(client, make_customer) -> None:
    await make_customer("ada@example.com")
    response = await client.post("/customers", json={"email": "ada@example.com"})
    assert response.status_code == 409


async def test_place_order(client, make_customer) -> None:
    customer = await make_customer("bob@example.com")
    response = await client.post(f"/customers/{customer.id}/orders", json={"total_cents": 1200})
    assert response.status_code == 200
    assert response.json()["total_cents"] == 1200
