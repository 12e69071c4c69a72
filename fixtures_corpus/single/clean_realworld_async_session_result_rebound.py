# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Real-world LD505 near miss (an ORM's own async test): the name of a result read before a
# commit is bound again to a new query after it, so what the test reads is freshly loaded.
from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Pet(Base):
    __tablename__ = "pet"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))


async def test_rename_then_query_again() -> None:
    engine = create_async_engine("sqlite+aiosqlite://")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        async with AsyncSession(engine) as session:
            session.add(Pet(name="Rex"))
            await session.commit()
            rows = await session.execute(select(Pet))
            assert rows.scalars().one().name == "Rex"
            await session.commit()
            rows = await session.execute(select(Pet.name))
            assert rows.scalar_one() == "Rex"
    finally:
        await engine.dispose()
