"""Recognising mocks: Mock, MagicMock, AsyncMock and pytest-mock's ``mocker`` spellings."""

from __future__ import annotations

import ast

from loopdoctor.astwalk import walk
from loopdoctor.context import FileContext
from loopdoctor.knowledge import ASYNC_MOCK, SYNC_MOCKS, canonical

_MOCKER_ATTRS = {
    "Mock": "unittest.mock.Mock",
    "MagicMock": "unittest.mock.MagicMock",
    "NonCallableMock": "unittest.mock.NonCallableMock",
    "NonCallableMagicMock": "unittest.mock.NonCallableMagicMock",
    "AsyncMock": ASYNC_MOCK,
    "patch": "unittest.mock.patch",
    "patch.object": "unittest.mock.patch.object",
    "patch.dict": "unittest.mock.patch.dict",
    "create_autospec": "unittest.mock.create_autospec",
}
_MOCKER_NAMES = ("mocker", "module_mocker", "class_mocker", "session_mocker", "package_mocker")


def normalise_mocker(qualname: str | None) -> str | None:
    """``mocker.patch.object`` (pytest-mock's fixture) -> ``unittest.mock.patch.object``."""
    if qualname is None:
        return None
    head, _, rest = qualname.partition(".")
    if head in _MOCKER_NAMES and rest in _MOCKER_ATTRS:
        return _MOCKER_ATTRS[rest]
    if qualname.startswith("pytest_mock.") and qualname.split(".")[-1] in _MOCKER_ATTRS:
        return _MOCKER_ATTRS[qualname.split(".")[-1]]
    return canonical(qualname)


def mock_kind(ctx: FileContext, expr: ast.AST) -> str | None:
    """The mock class an expression names (``MagicMock``) or instantiates (``MagicMock()``)."""
    target = expr.func if isinstance(expr, ast.Call) else expr
    name = normalise_mocker(ctx.qualify(target))
    if name in SYNC_MOCKS or name == ASYNC_MOCK:
        return name
    return None


def sync_mock_call(ctx: FileContext, expr: ast.AST) -> bool:
    """``Mock(...)``/``MagicMock(...)`` that is not made async-aware by spec/side_effect."""
    if not isinstance(expr, ast.Call) or mock_kind(ctx, expr) not in SYNC_MOCKS:
        return False
    for kw in expr.keywords:
        if kw.arg in ("spec", "spec_set", "wraps"):
            return False  # a spec of an async class makes its async methods AsyncMocks
        if kw.arg == "side_effect" and awaitable_producer(ctx, kw.value):
            return False
        if kw.arg == "return_value" and awaitable_value(ctx, kw.value):
            return False
    return not expr.args  # Mock(spec) positional


def awaitable_producer(ctx: FileContext, expr: ast.AST) -> bool:
    """A side_effect that returns awaitables: an async def, an AsyncMock, a lambda returning one."""
    if isinstance(expr, ast.Lambda):
        return awaitable_value(ctx, expr.body)
    if mock_kind(ctx, expr) == ASYNC_MOCK:
        return True
    found = ctx.project.resolve(ctx.qualify(expr), ctx.module)
    if found is not None and found.function is not None and found.function.is_async:
        return True
    if isinstance(expr, ast.Name):
        for scope in ctx.ancestors(expr):
            if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
                for node in walk(scope):
                    if isinstance(node, ast.AsyncFunctionDef) and node.name == expr.id:
                        return True
    return False


def awaitable_value(ctx: FileContext, expr: ast.AST) -> bool:
    """A return_value that can be awaited: a coroutine call, a Future, an AsyncMock."""
    if not isinstance(expr, ast.Call):
        return False
    name = normalise_mocker(ctx.qualify(expr.func)) or ""
    if name in (ASYNC_MOCK, "asyncio.Future", "asyncio.sleep", "asyncio.ensure_future"):
        return True
    if name.endswith((".create_future", "Future")):
        return True
    return awaitable_producer(ctx, expr.func)
