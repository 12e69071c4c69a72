from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

engine = create_async_engine(  # error: [LD501]
    "postgresql+asyncpg://todo:todo@127.0.0.1:5432/todo",
    echo=False,
    poolclass=NullPool,
)


async def count_items() -> int:
    async with engine.connect() as conn:
        result = await conn.execute(text("select count(*) from items"))
        return int(result.scalar_one())


async def add_item(title: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("insert into items (title) values (:t)"), {"t": title})
