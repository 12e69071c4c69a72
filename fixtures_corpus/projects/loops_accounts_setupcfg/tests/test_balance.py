import pytest


@pytest.mark.asyncio
async def test_balance(http):
    response = await http.get("/accounts/a1/balance")
    assert response.json()["balance"] == 1200


def test_client_is_built(accounts):  # error: [LD204]
    assert accounts is not None
