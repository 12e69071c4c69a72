import inspect

import pytest


def pytest_collection_modifyitems(config, items):
    """Mark every coroutine test for pytest-asyncio, so modules need no marker of their own."""
    for item in items:
        if inspect.iscoroutinefunction(getattr(item, "function", None)):
            item.add_marker(pytest.mark.asyncio)
