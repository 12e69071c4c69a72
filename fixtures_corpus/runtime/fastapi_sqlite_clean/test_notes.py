import asyncio


async def test_create_and_read(client) -> None:
    created = (await client.post("/notes", json={"title": "a"})).json()
    read = await client.get(f"/notes/{created['id']}")
    assert read.json() == created


async def test_chained_requests(client) -> None:
    for i in range(5):
        assert (await client.post("/notes", json={"title": str(i)})).status_code == 201
    assert len((await client.get("/notes")).json()) == 5


async def test_missing_note(client) -> None:
    assert (await client.get("/notes/999")).status_code == 404


async def test_concurrent_clients(client) -> None:
    results = await asyncio.gather(*(client.get("/notes") for _ in range(3)))
    assert all(r.status_code == 200 for r in results)


async def test_background_task_awaited() -> None:
    task = asyncio.create_task(asyncio.sleep(0.01))
    await task


def test_sync_neighbour() -> None:
    assert sum(range(10)) == 45
