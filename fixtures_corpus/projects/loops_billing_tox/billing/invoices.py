import asyncio


async def total_cents(lines: list[tuple[int, int]]) -> int:
    await asyncio.sleep(0)
    return sum(quantity * price for quantity, price in lines)
