# config: asyncio_mode = auto
# config: asyncio_default_fixture_loop_scope = function
# Async sessions that expire every object on commit: the next attribute read is implicit IO.
from collections.abc import AsyncIterator

import pytest_asyncio
from sqlalchemy import String
from sqlalchemy.ext import asyncio as sa_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

engine = create_async_engine("sqlite+aiosqlite://")


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


SessionLocal = async_sessionmaker(engine)  # error: [LD505]
LegacyFactory = sessionmaker(engine, class_=AsyncSession)  # error: [LD505]
AliasedFactory = sa_asyncio.async_sessionmaker(bind=engine, autoflush=False)  # error: [LD505]


@pytest_asyncio.fixture
async def session() -> AsyncIterator[AsyncSession]:
    async with AsyncSession(engine) as s:  # error: [LD505]
        yield s


async def test_create_user() -> None:
    async with AsyncSession(bind=engine) as db:  # error: [LD505]
        user = User(name="ada")
        db.add(user)
        await db.commit()
        assert user.name == "ada"


async def test_with_fixture(session: AsyncSession) -> None:
    session.add(User(name="bob"))
    await session.commit()


# a seeding fixture hands the test an object expired by its commit
@pytest_asyncio.fixture
async def seeded_user() -> AsyncIterator[User]:
    async with AsyncSession(engine) as s:  # error: [LD505]
        user = User(name="eve")
        s.add(user)
        await s.commit()
        yield user


async def test_seeded(seeded_user: User) -> None:
    assert seeded_user.id


async def save_user(db: AsyncSession, name: str) -> User:
    user = User(name=name)
    db.add(user)
    await db.commit()
    return user


async def test_helper_commits() -> None:
    async with AsyncSession(engine) as db:  # error: [LD505]
        user = await save_user(db, "zed")
        assert user.name == "zed"
