from sqlalchemy import select

from conftest import User


async def test_attribute_after_commit(session) -> None:
    user = User(name="ann")
    session.add(user)
    await session.commit()
    assert user.name == "ann"  # lazy refresh outside greenlet_spawn -> MissingGreenlet


async def test_correct_use(session) -> None:
    session.add(User(name="bob"))
    await session.flush()
    assert (await session.execute(select(User.name))).scalar_one() == "bob"
