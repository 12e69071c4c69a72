import pytest

from app.deps import get_current_user
from app.main import app


@pytest.fixture
def auth_headers() -> dict[str, str]:
    return {"Authorization": "Bearer alice"}


@pytest.fixture
def as_alice():
    app.dependency_overrides[get_current_user] = lambda: {"id": 1, "name": "alice"}
    yield
    app.dependency_overrides.pop(get_current_user, None)


@pytest.fixture
def warehouse(mocker):
    return mocker.patch("app.services.notify_warehouse", return_value=True)
