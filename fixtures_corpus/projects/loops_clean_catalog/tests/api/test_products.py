import asyncio


async def test_list_products(client):
    response = await client.get("/products")
    assert response.status_code == 200
    assert isinstance(response.json(), list)


async def test_ticker_is_fresh(ticker):
    assert not ticker.is_set()
    loop = asyncio.get_running_loop()
    assert loop.is_running()


def test_product_names(product_names):
    assert product_names == ["lamp", "desk"]


def test_client_value_in_sync_test(client):
    # Auto mode: pytest-asyncio runs the async fixture and hands over the client.
    assert client.base_url.host == "test"
