from httpx import AsyncClient


async def test_create_then_stock(client: AsyncClient) -> None:
    created = await client.post("/items", json={"sku": "A-1", "quantity": 5})
    assert created.status_code == 200
    stock = await client.get("/items/A-1/stock")
    assert stock.json()["quantity"] == 5
