import pytest

pytestmark = pytest.mark.asyncio


async def test_health(client):
    response = await client.get("/health")
    assert response.status_code == 200


@pytest.mark.asyncio(loop_scope="module")  # error: [LD105]
async def test_health_again(client):  # error: [LD106]
    response = await client.get("/health")
    assert response.json()["status"] == "ok"
