"""LD402: an ``AsyncMock`` stands in for a plain ``def``: callers get a coroutine, never awaited."""

from __future__ import annotations

import ast

from loopdoctor.astwalk import walk
from loopdoctor.diagnostic import FixSafety, Severity
from loopdoctor.index.facts import FunctionInfo, ModuleInfo
from loopdoctor.knowledge import ASYNC_FUNCTIONS, ASYNC_METHODS, ASYNC_MOCK, canonical
from loopdoctor.metadata.async_mocks import PATCH, PATCH_OBJECT, MockScope
from loopdoctor.metadata.mocks import normalise_mocker
from loopdoctor.rule import Rule

#: Decorators that leave a ``def`` a plain synchronous callable.
_PLAIN_DECORATORS = frozenset({"staticmethod", "classmethod", "abc.abstractmethod"})
#: Return annotations that say the sync def hands back something awaitable.
_AWAITABLE_HINTS = ("Awaitable", "Coroutine", "Future", "Task", "AsyncIterator", "AsyncGenerator")
_TASK_FACTORIES = frozenset(
    {"asyncio.ensure_future", "asyncio.create_task", "asyncio.gather", "asyncio.wait_for"}
)

_ASYNC_METHOD_NAMES = frozenset(name for names in ASYNC_METHODS.values() for name in names)


class AsyncMockForSync(Rule):
    code = "LD402"
    name = "async-mock-for-sync"
    severity = Severity.ERROR
    summary = "An AsyncMock replaces a plain `def`: callers get a coroutine that nobody awaits."
    fix_safety = FixSafety.NONE
    tokens = (b"AsyncMock",)

    # -- patch(...), patch.object(...), monkeypatch.setattr(...) ----------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        name = normalise_mocker(self.ctx.qualify(node.func))
        if name in (PATCH, PATCH_OBJECT):
            self.check_patch(node, name)
        elif isinstance(node.func, ast.Attribute) and node.func.attr == "setattr":
            self.check_setattr(node)

    def check_patch(self, node: ast.Call, name: str) -> None:
        scope = MockScope(self.ctx.project, self.ctx.module)
        new_index = 1 if name == PATCH else 2
        new = _kw(node, "new")
        if new is None and len(node.args) > new_index:
            new = node.args[new_index]
        new_callable = _kw(node, "new_callable")
        if new is not None and self.is_async_mock_call(new):
            replacement: ast.AST = new
        elif new is None and new_callable is not None and self.is_async_mock_name(new_callable):
            replacement = new_callable
        else:
            return
        if name == PATCH_OBJECT and len(node.args) >= 2:
            target = self.attribute_target(node.args[0], node.args[1])
        else:
            target = scope.patch_target(node, name)
        func = self.plain_def(target)
        if func is not None:
            self.report_replacement(replacement, func, target or func.qualname)

    def check_setattr(self, node: ast.Call) -> None:
        args = node.args
        if len(args) == 2:
            target = MockScope(self.ctx.project, self.ctx.module).static_target(args[0])
            value = args[1]
        elif len(args) >= 3:
            target = self.attribute_target(args[0], args[1])
            value = args[2]
        else:
            return
        if not self.is_async_mock_call(value):
            return
        func = self.plain_def(target)
        if func is not None:
            self.report_replacement(value, func, target or func.qualname)

    # -- ``module.func = AsyncMock()`` / ``Class.method = AsyncMock()`` ----------------------------
    def visit_Assign(self, node: ast.Assign) -> None:
        if not self.is_async_mock_call(node.value):
            return
        for target in node.targets:
            if not isinstance(target, ast.Attribute):
                continue
            qualname = self.attribute_target(target.value, ast.Constant(target.attr))
            func = self.plain_def(qualname)
            if func is not None:
                self.report_replacement(node.value, func, qualname or func.qualname)

    # -- helpers -----------------------------------------------------------------------------------
    def is_async_mock_name(self, expr: ast.AST) -> bool:
        return normalise_mocker(self.ctx.qualify(expr)) == ASYNC_MOCK

    def is_async_mock_call(self, expr: ast.AST) -> bool:
        return isinstance(expr, ast.Call) and self.is_async_mock_name(expr.func)

    def attribute_target(self, owner: ast.AST, attr: ast.AST | None) -> str | None:
        """``owner.attr`` as a qualified name: a module/class, or a local of a known type."""
        if not (isinstance(attr, ast.Constant) and isinstance(attr.value, str)):
            return None
        if isinstance(owner, ast.Name) and self.ctx.is_locally_bound(owner.id, owner):
            env = self.ctx.env(self.ctx.enclosing_function(owner))
            qualname = env.get(owner.id) or None
        else:
            qualname = self.ctx.qualify(owner)
        return f"{qualname}.{attr.value}" if qualname else None

    def plain_def(self, qualname: str | None) -> FunctionInfo | None:
        """The project's synchronous ``def`` a target names, when it surely returns no awaitable."""
        found = self.ctx.project.resolve(qualname, self.ctx.module)
        func = found.function if found else None
        if func is None or func.is_async or func.fixture is not None or func.is_test:
            return None
        if any(name not in _PLAIN_DECORATORS for name in func.decorator_names):
            return None
        if self.returns_awaitable(func, found.module):  # type: ignore[union-attr]
            return None
        return func

    def returns_awaitable(self, func: FunctionInfo, mod: ModuleInfo) -> bool:
        returns = func.node.returns
        if returns is not None and any(hint in ast.unparse(returns) for hint in _AWAITABLE_HINTS):
            return True
        for node in walk(func.node):
            if not (isinstance(node, ast.Return) and isinstance(node.value, ast.Call)):
                continue
            qualname = canonical(self.ctx.project.qualify(node.value.func, mod))
            if qualname in ASYNC_FUNCTIONS or qualname in _TASK_FACTORIES:
                return True
            if self.ctx.project.is_async_def(qualname, mod) is not None:
                return True
            func_expr = node.value.func
            if isinstance(func_expr, ast.Attribute) and (
                func_expr.attr in _ASYNC_METHOD_NAMES
                or func_expr.attr in self.project_async_names()
            ):
                return True  # ``return self.repo.fetch(...)``: maybe a coroutine, stay silent
        return False

    def project_async_names(self) -> frozenset[str]:
        """Names of every ``async def`` in the index: a same-named method may be the callee."""
        project = self.ctx.project
        return project.memoised(
            ("async-def-names",),
            lambda: frozenset(
                f.name
                for m in project.scan((b"async",))
                for f in m.functions.values()
                if f.is_async
            ),
        )

    def report_replacement(self, node: ast.AST, func: FunctionInfo, target: str) -> None:
        self.report(
            node,
            f"`AsyncMock` replaces `{target}`, a plain `def`: its callers do not `await` it, so "
            "each call returns a coroutine object instead of the value (and 'coroutine ... was "
            "never awaited'); the test exercises the wrong value. Use `Mock`/`MagicMock` "
            "(`return_value=` for the result)",
        )


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None
