# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Route handlers called or awaited directly from tests instead of through a client.
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI, HTTPException
from fastapi import Query as Q
from pydantic import BaseModel

app = FastAPI()
items = APIRouter(prefix="/items", tags=["items"])


class Item(BaseModel):
    name: str
    price: float


class Settings(BaseModel):
    page_size: int = 20


def get_settings() -> Settings:
    return Settings()


@app.get("/")
def read_root() -> dict:
    return {"message": "hello"}


@items.post("/", status_code=201)
async def create_item(item: Item) -> Item:
    if item.price < 0:
        raise HTTPException(status_code=422, detail="negative price")
    return item


@items.get("/")
async def list_items(
    settings: Annotated[Settings, Depends(get_settings)],
    limit: int = Q(10, le=100),
) -> list[Item]:
    return [Item(name="a", price=1.0)][: min(limit, settings.page_size)]


async def healthcheck() -> dict:
    return {"status": "ok"}


app.add_api_route("/health", healthcheck, methods=["GET"])
app.include_router(items)


def test_root():
    assert read_root() == {"message": "hello"}  # error: [LD603]


async def test_create_item():
    created = await create_item(Item(name="pen", price=2.5))  # error: [LD603]
    assert created.name == "pen"


async def test_list_items_marker_left_unfilled():
    # error: [LD603]
    result = await list_items(settings=Settings(page_size=1))
    assert len(result) == 1


async def test_registered_with_add_api_route():
    assert (await healthcheck())["status"] == "ok"  # error: [LD603]


class TestItems:
    async def test_negative_price(self):
        with pytest.raises(HTTPException):
            await create_item(Item(name="bad", price=-1))  # error: [LD603]
