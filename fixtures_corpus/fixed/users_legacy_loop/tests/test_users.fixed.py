from unittest.mock import MagicMock, patch, AsyncMock

from app import crud
from app.database import async_session


async def test_create_user(client):  # error: [LD605]
    response = await client.post("/users", json={"email": "a@b.c"})
    assert response.status_code == 201
    user_id = response.json()["id"]
    response = await client.get(f"/users/{user_id}")
    assert response.status_code == 200


async def test_get_user_missing(client):
    response = await client.get("/users/999")  # error: [LD301]
    assert response.status_code == 404


async def test_crud_direct():
    async with async_session() as session:
        user = await crud.create_user(session, "x@y.z")  # error: [LD301]
        assert user.email == "x@y.z"


async def test_email_sent(client):
    with patch("app.main.send_welcome_email", new=AsyncMock()) as sender:  # error: [LD401]
        await client.post("/users", json={"email": "m@n.o"})
    sender.assert_awaited_once()
