async def test_create_then_read(client):  # error: [LD605]
    created = await client.post("/posts", json={"title": "hello"})
    assert created.status_code == 200
    fetched = await client.get(f"/posts/{created.json()['id']}")
    assert fetched.status_code == 200


async def test_read_many(client):  # error: [LD605]
    for post_id in range(3):
        response = await client.get(f"/posts/{post_id}")
        assert response.status_code == 200


async def test_single_request(client):
    response = await client.get("/posts/1")
    assert response.status_code == 200
