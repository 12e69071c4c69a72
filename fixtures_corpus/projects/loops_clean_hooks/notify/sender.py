import asyncio


async def send(channel: str, text: str) -> bool:
    await asyncio.sleep(0)
    return bool(channel and text)
