"""LD401: a ``Mock``/``MagicMock`` standing in for an ``async def`` (or awaited)."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from loopdoctor.astwalk import walk
from loopdoctor.diagnostic import FixSafety, Severity
from loopdoctor.index.extract import dotted, iter_own_nodes
from loopdoctor.index.facts import FunctionInfo
from loopdoctor.knowledge import ASYNC_MOCK, SYNC_MOCKS
from loopdoctor.metadata.coroutines import coroutine_function
from loopdoctor.metadata.mocks import mock_kind, normalise_mocker, sync_mock_call
from loopdoctor.metadata.strings import static_string
from loopdoctor.rule import Rule

if TYPE_CHECKING:
    from loopdoctor.fixes import Edit, FixSite

#: The sync mocks whose AsyncMock twin takes the same arguments.
_FIXABLE_MOCKS = frozenset({"unittest.mock.Mock", "unittest.mock.MagicMock"})

PATCH = "unittest.mock.patch"
PATCH_OBJECT = "unittest.mock.patch.object"


class SyncMockForAsync(Rule):
    code = "LD401"
    name = "sync-mock-for-async"
    severity = Severity.ERROR
    summary = (
        "A Mock/MagicMock replaces an `async def` (or is awaited): awaiting it raises TypeError."
    )
    fix_safety = FixSafety.SAFE
    tokens = (b"Mock", b"mock")

    @classmethod
    def fix(cls, site: FixSite) -> Edit | None:
        """``MagicMock(...)`` / ``new_callable=mock.Mock`` -> ``AsyncMock``, import handled."""
        import libcst as cst

        from loopdoctor.fixes import expression

        node = site.node_of(cst.Call, cst.Name, cst.Attribute)
        target = node.func if isinstance(node, cst.Call) else node
        if isinstance(target, cst.Attribute):  # mock.MagicMock, mocker.Mock, um.MagicMock
            return site.replace(target.attr, cst.Name("AsyncMock"))
        if not isinstance(target, cst.Name):
            return None
        qualname = site.qualify(target) or "unittest.mock.Mock"
        ref = site.reference(qualname.rsplit(".", 1)[0], "AsyncMock")
        return site.replace(target, expression(ref)) if ref else None

    # -- patch(...), patch.object(...), monkeypatch.setattr(...) ----------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        name = normalise_mocker(self.ctx.qualify(node.func))
        if name == PATCH:
            self.check_patch(node, target_index=0, new_index=1)
        elif name == PATCH_OBJECT:
            self.check_patch(node, target_index=0, new_index=2)
        elif isinstance(node.func, ast.Attribute) and node.func.attr == "setattr":
            self.check_setattr(node)

    def check_patch(self, node: ast.Call, target_index: int, new_index: int) -> None:
        kwargs = {k.arg: k.value for k in node.keywords if k.arg}
        new = kwargs.get("new")
        if new is None and len(node.args) > new_index:
            new = node.args[new_index]
        new_callable = kwargs.get("new_callable")
        replacement: ast.AST | None = None
        if new is not None and sync_mock_call(self.ctx, new):
            replacement = new
        elif new_callable is not None and mock_kind(self.ctx, new_callable) in SYNC_MOCKS:
            replacement = new_callable
        if replacement is None or len(node.args) <= target_index:
            return
        if new_index == 1:
            func = self.resolve_string(node.args[0])
        else:
            attr = node.args[1] if len(node.args) > 1 else kwargs.get("attribute")
            func = self.resolve_attribute(node.args[0], attr)
        if func is not None:
            self.report_replacement(replacement, func)

    def check_setattr(self, node: ast.Call) -> None:
        """``monkeypatch.setattr("mod.func", Mock())`` or ``setattr(mod, "func", Mock())``."""
        args = node.args
        if len(args) == 2:
            func = self.resolve_string(args[0])
            value = args[1]
        elif len(args) >= 3:
            func = self.resolve_attribute(args[0], args[1])
            value = args[2]
        else:
            return
        if func is not None and sync_mock_call(self.ctx, value):
            self.report_replacement(value, func)

    # -- attribute assignment, dependency overrides ----------------------------------------------
    def visit_Assign(self, node: ast.Assign) -> None:
        if not sync_mock_call(self.ctx, node.value):
            return
        for target in node.targets:
            func = None
            if isinstance(target, ast.Attribute):
                func = self.resolve_attribute(target.value, ast.Constant(target.attr))
            elif (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Attribute)
                and target.value.attr == "dependency_overrides"
            ):
                found = self.ctx.project.resolve_expr(target.slice, self.ctx.module)
                func = found.function if found else None
                if func is not None and func.is_async:
                    self.report(
                        node.value,
                        f"dependency override for `async def {func.name}` is a sync "
                        f"`{self.mock_name(node.value)}`: code that awaits what the dependency "
                        "provides gets a non-awaitable mock (TypeError: object MagicMock can't be "
                        "used in 'await' expression); use `AsyncMock`",
                        fixable=self.fixable(node.value),
                    )
                continue
            if func is not None:
                self.report_replacement(node.value, func)

    # -- ``await m()`` where ``m`` is a sync mock -------------------------------------------------
    def visit_Await(self, node: ast.Await) -> None:
        call = node.value
        if not isinstance(call, ast.Call):
            return
        chain = dotted(call.func)
        if chain is None:
            return
        root = chain.split(".")[0]
        owner = self.ctx.enclosing_function(node)
        env = self.ctx.env(owner)
        kind = env.get(root)
        if kind not in SYNC_MOCKS:
            return
        if not self.root_is_plain_mock(node, root) or self.made_async(node, chain):
            return
        self.report(
            call,
            f"`{chain}(...)` is awaited but `{root}` is a `{kind.rsplit('.', 1)[-1]}`: calling it "
            "returns a MagicMock, which cannot be awaited (TypeError); use `AsyncMock` for "
            "async callables",
            fixable=False,  # the mock is made elsewhere; which call to change is not certain
        )

    def root_is_plain_mock(self, node: ast.AST, root: str) -> bool:
        """The local ``root = Mock(...)`` is a sync mock without an async-aware spec."""
        scope = self.ctx.enclosing_def(node)
        if scope is None:
            return False
        for stmt in iter_own_nodes(scope):
            if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == root for t in stmt.targets
            ):
                return sync_mock_call(self.ctx, stmt.value)
        return True  # a parameter: its type came from a fixture returning a sync mock

    def made_async(self, node: ast.AST, chain: str) -> bool:
        """``m.fetch = AsyncMock()`` (or ``m.fetch.side_effect = fn``) earlier in the scope."""
        scope = self.ctx.enclosing_def(node)
        if scope is None:
            return False
        for stmt in walk(scope):
            if not isinstance(stmt, ast.Assign):
                continue
            for target in stmt.targets:
                name = dotted(target)
                if name is None:
                    continue
                if chain == name or chain.startswith(name + ".") or name.startswith(chain + "."):
                    if mock_kind(self.ctx, stmt.value) == ASYNC_MOCK or name.endswith(
                        (".side_effect", ".return_value")
                    ):
                        return True
        return False

    # -- resolution helpers -----------------------------------------------------------------------
    def resolve_string(self, expr: ast.AST) -> FunctionInfo | None:
        target = static_string(self.ctx.project, expr, self.ctx.module)
        if target is None or "{" in target:
            return None
        found = self.ctx.project.resolve(target, self.ctx.module)
        func = found.function if found else None
        return func if func is not None and coroutine_function(func) else None

    def resolve_attribute(self, owner: ast.AST, attr: ast.AST | None) -> FunctionInfo | None:
        if not (isinstance(attr, ast.Constant) and isinstance(attr.value, str)):
            return None
        qualname = self.ctx.qualify(owner)
        if isinstance(owner, ast.Name) and self.ctx.is_locally_bound(owner.id, owner):
            env = self.ctx.env(self.ctx.enclosing_function(owner))
            qualname = env.get(owner.id) or None
        if qualname is None:
            return None
        found = self.ctx.project.resolve(f"{qualname}.{attr.value}", self.ctx.module)
        func = found.function if found else None
        return func if func is not None and coroutine_function(func) else None

    def mock_name(self, expr: ast.AST) -> str:
        kind = mock_kind(self.ctx, expr) or "Mock"
        return kind.rsplit(".", 1)[-1]

    def fixable(self, node: ast.AST) -> bool:
        """A Mock/MagicMock spelled as a name or attribute: AsyncMock(...) is the same call."""
        target = node.func if isinstance(node, ast.Call) else node
        return mock_kind(self.ctx, node) in _FIXABLE_MOCKS and isinstance(
            target, ast.Name | ast.Attribute
        )

    def report_replacement(self, node: ast.AST, func: FunctionInfo) -> None:
        self.report(
            node,
            f"`{self.mock_name(node)}` replaces `async def {func.qualname}`: callers `await` it, "
            "and awaiting a sync mock's result raises TypeError (\"object MagicMock can't be used "
            "in 'await' expression\"); use `AsyncMock` (a plain `patch()` without `new=` already "
            "makes one)",
            fixable=self.fixable(node),
        )
