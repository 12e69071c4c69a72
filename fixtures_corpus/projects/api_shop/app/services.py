"""Business logic shared by the routes."""

from __future__ import annotations

import asyncio


def compute_total(lines: list[dict], tax_rate: float) -> float:
    subtotal = sum(line["price"] * line["qty"] for line in lines)
    return round(subtotal * (1 + tax_rate), 2)


async def notify_warehouse(order_id: int) -> bool:
    await asyncio.sleep(0)
    return order_id > 0


async def reserve_stock(sku: str, qty: int) -> bool:
    await asyncio.sleep(0)
    return qty < 100
