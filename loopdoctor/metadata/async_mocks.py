"""Which local names hold an ``AsyncMock`` (or a sync mock), for LD302, LD402 and LD403.

``metadata/mocks.py`` recognises mock *expressions*; this module follows them into the names a
test or fixture binds: ``m = AsyncMock()``, ``m = mocker.patch("app.svc.fetch")`` (an
``async def`` target makes ``patch`` produce an AsyncMock), ``with patch.object(...) as m``,
``@patch(...)`` decorators that inject mocks as leading parameters, ``monkeypatch.setattr(obj,
"name", AsyncMock())`` and fixtures whose value is such a mock. Children of a mock follow
``unittest.mock``'s rules (attributes of an AsyncMock without a spec are AsyncMocks; with a spec,
only the spec's ``async def`` methods are). Anything uncertain is ``None``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from loopdoctor.astwalk import walk
from loopdoctor.index.extract import dotted
from loopdoctor.index.facts import FunctionInfo, ModuleInfo
from loopdoctor.knowledge import ASYNC_METHODS, ASYNC_MOCK, SYNC_MOCKS, canonical
from loopdoctor.metadata.coroutines import coroutine_function
from loopdoctor.metadata.mocks import normalise_mocker
from loopdoctor.project import ProjectIndex

PATCH = "unittest.mock.patch"
PATCH_OBJECT = "unittest.mock.patch.object"
AUTOSPEC = "unittest.mock.create_autospec"
ASYNC = "async"
SYNC = "sync"

#: Attributes every mock has itself (not child mocks): asserting on them is not calling a child.
MOCK_API = frozenset(
    "assert_called assert_called_once assert_called_with assert_called_once_with assert_any_call "
    "assert_has_calls assert_not_called assert_awaited assert_awaited_once assert_awaited_with "
    "assert_awaited_once_with assert_any_await assert_has_awaits assert_not_awaited reset_mock "
    "configure_mock attach_mock mock_add_spec return_value side_effect called call_count "
    "call_args call_args_list method_calls mock_calls await_count await_args await_args_list "
    "awaited".split()
)


@dataclass(frozen=True)
class MockValue:
    """A mock bound to a name: its kind and, when known, the spec it mirrors."""

    kind: str  # ASYNC or SYNC
    spec: str | None = None  # qualified name of a spec class or function, when one was given
    origin: str = ""  # how it was made, for messages: "AsyncMock()", "patch('app.x.f')"


class MockScope:
    """Mocks bound inside one test/fixture/helper def (and in the fixtures it requests)."""

    def __init__(
        self,
        project: ProjectIndex,
        mod: ModuleInfo,
        depth: int = 0,
        env: dict[str, str] | None = None,
    ) -> None:
        self.project = project
        self.mod = mod
        self.depth = depth
        self.env = env or {}  # local variable types, to resolve ``patch.object(repo, "get")``

    # -- expressions -------------------------------------------------------------------------------
    def qualname(self, expr: ast.AST) -> str | None:
        return normalise_mocker(self.project.qualify(expr, self.mod))

    def resolve_function(self, qualname: str | None) -> FunctionInfo | None:
        found = self.project.resolve(qualname, self.mod)
        return found.function if found is not None else None

    def patch_target(self, call: ast.Call, name: str) -> str | None:
        """The qualified name a ``patch``/``patch.object`` call replaces."""
        if name == PATCH:
            target = call.args[0] if call.args else _kw(call, "target")
            return self.static_target(target)
        owner = call.args[0] if call.args else _kw(call, "target")
        attr = call.args[1] if len(call.args) > 1 else _kw(call, "attribute")
        if owner is None or not (isinstance(attr, ast.Constant) and isinstance(attr.value, str)):
            return None
        if isinstance(owner, ast.Name) and self.env.get(owner.id):
            base: str | None = self.env[owner.id]
        else:
            base = self.qualname(owner)
        return f"{base}.{attr.value}" if base else None

    def static_target(self, target: ast.AST | None) -> str | None:
        """A patch target string: a literal, or ``f"{__name__}.name"`` in this module."""
        if isinstance(target, ast.Constant) and isinstance(target.value, str):
            return target.value
        if isinstance(target, ast.JoinedStr) and len(target.values) == 2:
            head, tail = target.values
            if (
                isinstance(head, ast.FormattedValue)
                and isinstance(head.value, ast.Name)
                and head.value.id == "__name__"
                and isinstance(tail, ast.Constant)
                and isinstance(tail.value, str)
                and tail.value.startswith(".")
            ):
                return f"{self.mod.modname}{tail.value}"
        return None

    def value_of(self, expr: ast.AST | None) -> MockValue | None:
        """The mock an expression creates: ``AsyncMock(...)``, ``mocker.patch(...)``, ...."""
        if not isinstance(expr, ast.Call):
            return None
        name = self.qualname(expr.func)
        if name == ASYNC_MOCK:
            return MockValue(ASYNC, self.spec_of(expr), "AsyncMock()")
        if name in SYNC_MOCKS:
            spec = self.spec_of(expr)
            func = self.resolve_function(spec)
            if func is not None and coroutine_function(func):
                return MockValue(ASYNC, spec, f"{name.rsplit('.', 1)[-1]}(spec=async def)")
            return MockValue(SYNC, spec, f"{name.rsplit('.', 1)[-1]}()")
        if name == AUTOSPEC and expr.args:
            spec = self.qualname(expr.args[0])
            found = self.project.resolve(spec, self.mod)
            if found is not None and found.function is not None:
                kind = ASYNC if coroutine_function(found.function) else SYNC
                return MockValue(kind, spec, "create_autospec()")
            if found is not None and found.kind == "class":
                return MockValue(SYNC, spec, "create_autospec()")
            return None
        if name in (PATCH, PATCH_OBJECT):
            return self.patch_value(expr, name)
        return None

    def spec_of(self, call: ast.Call) -> str | None:
        spec = _kw(call, "spec") or _kw(call, "spec_set")
        if spec is None and call.args:
            spec = call.args[0]
        return self.qualname(spec) if spec is not None else None

    def patch_value(self, call: ast.Call, name: str) -> MockValue | None:
        """The mock a patch call hands out (``as m`` or pytest-mock's return value)."""
        new_index = 1 if name == PATCH else 2
        new = _kw(call, "new")
        if new is None and len(call.args) > new_index:
            new = call.args[new_index]
        target = self.patch_target(call, name)
        label = f"patch({target!r})" if target else "patch(...)"
        if new is not None:
            value = self.value_of(new)
            return MockValue(value.kind, value.spec, label) if value else None
        new_callable = _kw(call, "new_callable")
        if new_callable is not None:
            kind = self.qualname(new_callable)
            if kind == ASYNC_MOCK:
                return MockValue(ASYNC, None, label)
            if kind in SYNC_MOCKS:
                return MockValue(SYNC, None, label)
            return None
        func = self.resolve_function(target)
        if func is None:
            return None
        if coroutine_function(func):
            return MockValue(ASYNC, target, label)
        return MockValue(SYNC, target, label)

    # -- bindings in a def -------------------------------------------------------------------------
    def bindings(
        self, func: FunctionInfo | None, node: ast.AST | None = None
    ) -> dict[str, MockValue]:
        """Dotted names bound to mocks in ``node`` (default: the def of ``func``)."""
        scope = node if node is not None else (func.node if func is not None else None)
        if scope is None:
            return {}
        key = ("mock-bindings", id(scope), id(self.mod))
        found: dict[str, MockValue] = {}  # a recursive request gets the bindings so far

        def collect() -> dict[str, MockValue]:
            self._collect(func, scope, found)
            return found

        return self.project.memoised(key, collect, while_computing=found)

    def _collect(
        self, func: FunctionInfo | None, scope: ast.AST, found: dict[str, MockValue]
    ) -> None:
        if func is not None and scope is func.node:
            found.update(self.param_mocks(func))
        for child in walk(scope):
            if isinstance(child, ast.Assign | ast.AnnAssign):
                targets = child.targets if isinstance(child, ast.Assign) else [child.target]
                value = self.value_of(child.value) if child.value is not None else None
                for target in targets:
                    name = dotted(target)
                    if name is None:
                        continue
                    if value is not None:
                        found[name] = value
                    elif isinstance(child.value, ast.Name) and child.value.id in found:
                        found[name] = found[child.value.id]
            elif isinstance(child, ast.With | ast.AsyncWith):
                for item in child.items:
                    name = dotted(item.optional_vars) if item.optional_vars else None
                    call = item.context_expr
                    if name is None or not isinstance(call, ast.Call):
                        continue
                    if self.qualname(call.func) in (PATCH, PATCH_OBJECT):
                        value = self.patch_value(call, self.qualname(call.func) or PATCH)
                        if value is not None:
                            found[name] = value
            elif isinstance(child, ast.Call):
                self.setattr_binding(child, found)

    def setattr_binding(self, call: ast.Call, found: dict[str, MockValue]) -> None:
        """``monkeypatch.setattr(obj, "name", AsyncMock())`` binds ``obj.name``."""
        func = call.func
        if not (isinstance(func, ast.Attribute) and func.attr == "setattr"):
            return
        if len(call.args) < 3:
            return
        owner, attr, value = call.args[0], call.args[1], call.args[2]
        base = dotted(owner)
        if base is None or not (isinstance(attr, ast.Constant) and isinstance(attr.value, str)):
            return
        mock = self.value_of(value)
        if mock is None and isinstance(value, ast.Name) and value.id in found:
            mock = found[value.id]
        if mock is not None:
            found[f"{base}.{attr.value}"] = mock

    def param_mocks(self, func: FunctionInfo) -> dict[str, MockValue]:
        """Parameters that receive mocks: ``@patch`` decorators, then fixtures producing mocks."""
        found: dict[str, MockValue] = {}
        params = list(func.params)
        injected: list[MockValue | None] = []
        for decorator in reversed(func.node.decorator_list):
            if not isinstance(decorator, ast.Call):
                continue
            name = self.qualname(decorator.func)
            if name not in (PATCH, PATCH_OBJECT):
                continue
            if _kw(decorator, "new") is not None or len(decorator.args) > (
                1 if name == PATCH else 2
            ):
                continue  # ``new`` given: the decorator injects nothing
            injected.append(self.patch_value(decorator, name))
        for param, value in zip(params, injected, strict=False):
            if value is not None:
                found[param] = value
        if self.depth >= 3 or not (func.is_test or func.fixture is not None):
            return found
        for param in params[len(injected) :]:
            fixture = self.project.param_fixture(func, self.mod, param)
            if fixture is None or fixture.func is func:
                continue
            value = MockScope(self.project, fixture.module, self.depth + 1).produced(fixture.func)
            if value is not None:
                found[param] = value
        return found

    def produced(self, func: FunctionInfo) -> MockValue | None:
        """The mock a fixture returns or yields, when it is one."""
        from loopdoctor.index.types import produced_values

        local = self.bindings(func)
        for value in produced_values(func):
            mock = self.value_of(value)
            if mock is None:
                name = dotted(value)
                mock = local.get(name) if name else None
            if mock is not None:
                return mock
        return None

    def visible(self, owner: FunctionInfo, inner: ast.AST | None) -> dict[str, MockValue]:
        """Mocks visible at a point: the def's own, a nested def's, and ``self.*`` set by any
        method of the test class (``setup_method``, ``asyncSetUp``, autouse fixtures)."""
        found: dict[str, MockValue] = {}
        cls = self.project.class_of(owner, self.mod)
        if cls is not None:
            for method in cls.methods.values():
                if method is owner:
                    continue
                for name, value in self.bindings(method).items():
                    if name.startswith("self."):
                        found[name] = value
        found.update(self.bindings(owner))
        if inner is not None and inner is not owner.node:
            found.update(self.bindings(None, inner))
        return found

    # -- lookups -----------------------------------------------------------------------------------
    def lookup(self, chain: str, found: dict[str, MockValue]) -> MockValue | None:
        """The mock a dotted chain denotes: a bound name, or a child of one."""
        if chain in found:
            return found[chain]
        parts = chain.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            root = found.get(".".join(parts[:cut]))
            if root is None:
                continue
            rest = parts[cut:]
            if len(rest) != 1 or rest[0] in MOCK_API or rest[0].startswith("_"):
                return None
            return self.child(root, rest[0])
        return None

    def child(self, parent: MockValue, attr: str) -> MockValue | None:
        """``parent.attr`` as unittest.mock creates it."""
        if parent.spec is None:
            return MockValue(parent.kind, None, f"{parent.origin}.{attr}")
        known = ASYNC_METHODS.get(canonical(parent.spec) or parent.spec)
        if known is not None:
            kind = ASYNC if attr in known else SYNC
            return MockValue(kind, None, f"{parent.origin}.{attr}")
        func = self.resolve_function(f"{parent.spec}.{attr}")
        if func is None:
            return None
        kind = ASYNC if coroutine_function(func) else SYNC
        return MockValue(kind, f"{parent.spec}.{attr}", f"{parent.origin}.{attr}")


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None
