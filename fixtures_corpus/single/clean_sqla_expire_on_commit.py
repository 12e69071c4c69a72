# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Near misses for LD505: expire_on_commit=False given, configured later, chosen on purpose, or a
# test's own session from which nothing is read after the commit.
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

engine = create_async_engine("sqlite+aiosqlite://")
OPTIONS: dict[str, Any] = {"expire_on_commit": False}


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


SessionLocal = async_sessionmaker(engine, expire_on_commit=False)
LegacyFactory = sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
Configured = async_sessionmaker()
Configured.configure(bind=engine, expire_on_commit=False)
FromOptions = async_sessionmaker(engine, **OPTIONS)
# expiring on purpose: the app always refreshes after commit
Refreshing = async_sessionmaker(engine, expire_on_commit=True)


@pytest_asyncio.fixture
async def session() -> AsyncIterator[AsyncSession]:
    async with AsyncSession(engine, expire_on_commit=False) as s:
        yield s


async def test_count_only() -> None:
    async with AsyncSession(engine) as db:
        db.add(User(name="ada"))
        await db.commit()
        count = len((await db.scalars(select(User))).all())
    assert count == 1


async def test_refresh_after_commit() -> None:
    async with AsyncSession(engine) as db:
        user = User(name="bob")
        db.add(user)
        await db.commit()
        await db.refresh(user)
        assert user.name == "bob"


async def test_read_only() -> None:
    db = AsyncSession(engine)
    rows = (await db.execute(select(User))).all()
    await db.close()
    assert rows == []


# a seeding fixture that hands nothing loaded over
@pytest_asyncio.fixture
async def seeded() -> AsyncIterator[None]:
    async with AsyncSession(engine) as s:
        s.add_all([User(name="a"), User(name="b")])
        await s.commit()
    yield


async def test_seeded(seeded: None) -> None:
    assert seeded is None


async def count_users(db: AsyncSession) -> int:
    return len((await db.scalars(select(User))).all())


async def test_session_handed_to_readers() -> None:
    async with AsyncSession(engine) as db:
        assert await count_users(db) >= 0
        assert len(list(await db.scalars(select(User)))) >= 0


async def test_factory_for_reads() -> None:
    factory = async_sessionmaker(engine)
    async with factory() as db:
        assert await count_users(db) >= 0
