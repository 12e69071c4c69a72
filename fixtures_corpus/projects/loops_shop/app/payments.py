import aiohttp

PAYMENTS_URL = "http://payments.internal:8080"


async def charge(http: aiohttp.ClientSession, order_id: int, amount_cents: int) -> str:
    async with http.post(
        f"{PAYMENTS_URL}/charges", json={"order": order_id, "amount": amount_cents}
    ) as response:
        response.raise_for_status()
        body = await response.json()
        return body["charge_id"]
