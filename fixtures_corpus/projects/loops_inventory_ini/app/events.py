import asyncio
from dataclasses import dataclass


@dataclass
class StockEvent:
    sku: str
    delta: int


class EventBus:
    """Fan-out of stock events to subscribers, one asyncio.Queue per subscriber."""

    def __init__(self) -> None:
        self._subscribers: list[asyncio.Queue[StockEvent]] = []

    def subscribe(self) -> asyncio.Queue[StockEvent]:
        queue: asyncio.Queue[StockEvent] = asyncio.Queue()
        self._subscribers.append(queue)
        return queue

    async def publish(self, event: StockEvent) -> None:
        for queue in self._subscribers:
            await queue.put(event)
