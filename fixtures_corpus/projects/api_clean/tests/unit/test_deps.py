import time

from app.deps import slugify
from app.main import create_app


def test_slugify():
    assert slugify("Hello World") == "hello-world"


def test_create_app_has_routes():
    started = time.perf_counter()
    application = create_app()
    paths = {route.path for route in application.routes}
    assert "/notes/{note_id}" in paths
    assert time.perf_counter() - started < 5


def test_overrides_on_a_fresh_app():
    application = create_app()
    application.dependency_overrides[slugify] = lambda: "x"
    assert application.dependency_overrides
