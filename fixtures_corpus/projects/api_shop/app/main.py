"""The shop API: app, lifespan and route wiring."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.api import orders


class WarehouseClient:
    def __init__(self) -> None:
        self.connected = False

    async def connect(self) -> None:
        self.connected = True

    async def close(self) -> None:
        self.connected = False


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.warehouse = WarehouseClient()
    await app.state.warehouse.connect()
    yield
    await app.state.warehouse.close()


app = FastAPI(title="shop", lifespan=lifespan)
app.include_router(orders.router)


async def health() -> dict:
    return {"status": "ok", "warehouse": app.state.warehouse.connected}


app.add_api_route("/health", health, methods=["GET"])
