"""Dependencies injected into the order routes."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Header, HTTPException


@dataclass
class Settings:
    currency: str = "EUR"
    tax_rate: float = 0.2


@dataclass
class OrderStore:
    orders: dict[int, dict] = field(default_factory=dict)

    async def add(self, order: dict) -> int:
        order_id = len(self.orders) + 1
        self.orders[order_id] = order
        return order_id

    async def get(self, order_id: int) -> dict | None:
        return self.orders.get(order_id)


_store = OrderStore()


def get_settings() -> Settings:
    return Settings()


async def get_store() -> OrderStore:
    return _store


async def get_current_user(authorization: str = Header(default="")) -> dict:
    if not authorization.startswith("Bearer "):
        raise HTTPException(status_code=401, detail="missing token")
    return {"id": 1, "name": authorization.removeprefix("Bearer ")}
