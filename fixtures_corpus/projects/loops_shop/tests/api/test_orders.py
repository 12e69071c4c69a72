import pytest
from sqlalchemy import text

from app.payments import charge


def test_payload_shape(order_payload):  # error: [LD204]
    assert set(order_payload) == {"sku", "quantity"}


async def test_health(client):  # error: [LD201]
    response = await client.get("/health")
    assert response.json() == {"status": "ok"}


@pytest.mark.asyncio
async def test_charge_order(payments_http):  # error: [LD106]
    charge_id = await charge(payments_http, order_id=1, amount_cents=1999)
    assert charge_id.startswith("ch_")


@pytest.mark.asyncio(loop_scope="session")
async def test_refund_uses_the_session_loop(payments_http):
    async with payments_http.post("/refunds", json={"charge": "ch_1"}) as response:
        assert response.status == 201


@pytest.mark.asyncio
async def test_read_missing_order(client, db_session):
    await db_session.execute(text("select 1"))
    response = await client.get("/orders/999999")
    assert response.status_code == 404
