# A half-edited test module: pytest cannot collect it, loopdoctor reports where.
import pytest


@pytest.mark.asyncio
async def test_create_order(client):
    response = await client.post("/orders", json={"sku": "A-1", "qty": 2)  # error: [LD001]
    assert response.status_code == 201
