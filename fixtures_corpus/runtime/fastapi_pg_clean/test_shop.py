async def test_health(client) -> None:
    assert (await client.get("/health")).json() == {"db": 1}


async def test_health_again(client) -> None:
    assert (await client.get("/health")).json() == {"db": 1}


async def test_chained(client) -> None:
    for _ in range(3):
        assert (await client.get("/health")).status_code == 200
