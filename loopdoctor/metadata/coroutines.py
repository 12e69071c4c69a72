"""Is this call a coroutine (or an awaitable that does nothing until awaited)? Is it awaited?"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from loopdoctor.astwalk import walk
from loopdoctor.context import FileContext
from loopdoctor.index.extract import dotted, iter_own_nodes
from loopdoctor.index.facts import FunctionInfo
from loopdoctor.knowledge import ASYNC_FUNCTIONS, ASYNC_METHODS, SYNC_MOCKS, canonical
from loopdoctor.metadata.mocks import normalise_mocker

#: Decorators that keep an ``async def`` a coroutine function.
_TRANSPARENT_DECORATORS = frozenset(
    {
        "staticmethod",
        "classmethod",
        "functools.wraps",
        "abc.abstractmethod",
        "typing.override",
        "typing_extensions.override",
        "typing.overload",
    }
)
_ROUTE_METHODS = frozenset(
    "get post put patch delete head options trace api_route websocket route".split()
)
#: Coroutine attributes that consume or inspect it deliberately.
_COROUTINE_ATTRS = frozenset(
    {"close", "send", "throw", "__await__", "cr_frame", "cr_code", "cr_running", "cr_await"}
)


@dataclass(frozen=True)
class CoroutineTarget:
    """What an un-awaited call refers to, for the message."""

    description: str  # e.g. "project coroutine function `app.services.fetch_user`"
    short: str  # e.g. "fetch_user(...)"


def coroutine_function(func: FunctionInfo) -> bool:
    """``async def`` (not an async generator) whose decorators keep it a coroutine function."""
    if not func.is_async or func.is_generator or func.fixture is not None:
        return False
    for name in func.decorator_names:
        if name in _TRANSPARENT_DECORATORS or name.startswith("pytest.mark."):
            continue
        if name.rsplit(".", 1)[-1] in _ROUTE_METHODS:
            continue
        return False
    return True


def call_label(call: ast.Call) -> str:
    name = dotted(call.func)
    if name is None and isinstance(call.func, ast.Attribute):
        name = "…." + call.func.attr
    return f"{name or 'call'}(...)"


_KNOWN_COROUTINE_NAMES = frozenset(
    {m for methods in ASYNC_METHODS.values() for m in methods}
    | {name.rsplit(".", 1)[-1] for name in ASYNC_FUNCTIONS}
)


def could_be_coroutine_call(ctx: FileContext, call: ast.Call) -> bool:
    """Cheap gate: the callee's last name is a known async API or some project ``async def``.

    A call that fails this cannot be a coroutine call, so LD301/LD302 skip almost every call
    in a large tree without resolving anything.
    """
    name = callee_name(call)
    return name is not None and (
        name in _KNOWN_COROUTINE_NAMES or name in ctx.project.coroutine_names
    )


def callee_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def coroutine_target(ctx: FileContext, call: ast.Call) -> CoroutineTarget | None:
    """Resolve the callee; only certain coroutine functions and known async APIs count."""
    if not could_be_coroutine_call(ctx, call):
        return None
    func = call.func
    owner = ctx.enclosing_function(call)
    env = ctx.env(owner)
    label = call_label(call)
    if isinstance(func, ast.Name):
        if _nested_async_def(ctx, call, func.id):
            return CoroutineTarget(f"local coroutine function `{func.id}`", label)
        if ctx.is_locally_bound(func.id, call):
            return None
        return _qualified_target(ctx, call, label)
    if not isinstance(func, ast.Attribute):
        return None
    base = func.value
    # self.method() / cls.method() inside a class: the class's own async methods.
    if isinstance(base, ast.Name) and base.id in ("self", "cls"):
        method = _own_method(ctx, call, func.attr)
        if method is not None and coroutine_function(method):
            return CoroutineTarget(f"coroutine method `{method.qualname}`", label)
        return None
    root = _root_name(base)
    if root is not None and not ctx.is_locally_bound(root, call) and root not in env:
        target = _qualified_target(ctx, call, label)
        if target is not None:
            return target
    receiver = ctx.types.type_of(base, ctx.module, env)
    if receiver is None or receiver in SYNC_MOCKS or receiver.startswith("unittest.mock."):
        return None
    methods = ASYNC_METHODS.get(receiver)
    if methods is not None:
        if func.attr in methods:
            return CoroutineTarget(f"`{receiver}.{func.attr}`, a coroutine method", label)
        return None
    found = ctx.project.resolve(f"{receiver}.{func.attr}", ctx.module)
    method = found.function if found else None
    if method is not None and coroutine_function(method):
        return CoroutineTarget(f"coroutine method `{receiver}.{func.attr}`", label)
    return None


def _qualified_target(ctx: FileContext, call: ast.Call, label: str) -> CoroutineTarget | None:
    qualname = normalise_mocker(ctx.qualify(call.func))
    if qualname is None:
        return None
    qualname = canonical(qualname) or qualname
    if qualname in ASYNC_FUNCTIONS:
        return CoroutineTarget(f"`{qualname}`, a coroutine function", label)
    found = ctx.project.resolve(qualname, ctx.module)
    func = found.function if found else None
    if func is not None and coroutine_function(func):
        where = f"{found.module.path.name}:{func.line}"  # type: ignore[union-attr]
        return CoroutineTarget(f"coroutine function `{qualname}` ({where})", label)
    return None


def _root_name(expr: ast.AST) -> str | None:
    while isinstance(expr, ast.Attribute):
        expr = expr.value
    return expr.id if isinstance(expr, ast.Name) else None


def _nested_async_def(ctx: FileContext, call: ast.Call, name: str) -> bool:
    """A plain ``async def name`` defined inside an enclosing function of the call."""
    for scope in ctx.ancestors(call):
        if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef) and name in _nested_coros(
            scope
        ):
            return True
    return False


def _nested_coros(scope: ast.AST) -> frozenset[str]:
    cached = getattr(scope, "_ld_nested_coros", None)
    if cached is None:
        cached = frozenset(
            node.name
            for node in iter_own_nodes(scope)
            if isinstance(node, ast.AsyncFunctionDef)
            and not node.decorator_list
            and not any(isinstance(n, ast.Yield | ast.YieldFrom) for n in walk(node))
        )
        scope._ld_nested_coros = cached  # type: ignore[attr-defined]
    return cached


def name_loads(scope: ast.AST, name: str) -> list[ast.Name]:
    """Every ``Name`` load of ``name`` inside ``scope`` (nested scopes included), cached."""
    index: dict[str, list[ast.Name]] | None = getattr(scope, "_ld_loads", None)
    if index is None:
        index = {}
        for node in walk(scope):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                index.setdefault(node.id, []).append(node)
        scope._ld_loads = index  # type: ignore[attr-defined]
    return index.get(name, [])


def _own_method(ctx: FileContext, call: ast.Call, name: str) -> FunctionInfo | None:
    for ancestor in ctx.ancestors(call):
        if isinstance(ancestor, ast.ClassDef):
            cls = ctx.module.classes.get(ancestor.name)
            if cls is None:
                return None
            if name in cls.methods:
                return cls.methods[name]
            for base in cls.bases:
                found = ctx.project.resolve(f"{base}.{name}", ctx.module)
                if found is not None and found.function is not None:
                    return found.function
            return None
    return None


# -- is the value consumed? -------------------------------------------------------------------
def discarded(ctx: FileContext, call: ast.Call) -> bool:
    """True when the coroutine a call creates can never be awaited by anyone."""
    parent = ctx.parent(call)
    if isinstance(parent, ast.Expr):
        return True
    if isinstance(parent, ast.Attribute):
        return parent.attr not in _COROUTINE_ATTRS
    if isinstance(parent, ast.Subscript) and parent.value is call:
        return True
    if isinstance(parent, ast.Compare | ast.BoolOp | ast.UnaryOp | ast.FormattedValue):
        return True
    if isinstance(parent, ast.If | ast.While | ast.IfExp) and parent.test is call:
        return True
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
        target = parent.targets[0]
        if isinstance(target, ast.Name):
            return not _name_consumed(ctx, parent, target.id)
    if isinstance(parent, ast.AnnAssign) and isinstance(parent.target, ast.Name):
        return not _name_consumed(ctx, parent, parent.target.id)
    return False


def _name_consumed(ctx: FileContext, assign: ast.stmt, name: str) -> bool:
    scope: ast.AST | None = ctx.enclosing_def(assign)
    if scope is None:
        scope = ctx.module.tree
    start = (assign.lineno, assign.col_offset)
    for node in name_loads(scope, name):
        if (node.lineno, node.col_offset) <= start:
            # A load before the assignment only matters inside a loop; be conservative.
            if _in_loop(ctx, node, scope):
                return True
            continue
        parent = ctx.parent(node)
        if isinstance(parent, ast.Attribute) and parent.attr not in _COROUTINE_ATTRS:
            continue
        if isinstance(parent, ast.Subscript) and parent.value is node:
            continue
        if isinstance(parent, ast.Compare | ast.FormattedValue | ast.UnaryOp):
            continue
        if isinstance(parent, ast.If | ast.While) and parent.test is node:
            continue
        return True  # awaited, passed on, returned, stored, ...
    return False


def _in_loop(ctx: FileContext, node: ast.AST, scope: ast.AST) -> bool:
    for ancestor in ctx.ancestors(node):
        if ancestor is scope:
            return False
        if isinstance(ancestor, ast.For | ast.AsyncFor | ast.While):
            return True
    return False
