"""Plain records of what a module defines: functions, fixtures, tests, marks, variables, engines."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Mark:
    """A ``pytest.mark.NAME(...)`` applied to a test, a class or a module."""

    name: str
    args: list[ast.expr]
    kwargs: dict[str, ast.expr]
    node: ast.expr

    def kwarg_str(self, key: str) -> str | None:
        value = self.kwargs.get(key)
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return value.value
        return None

    def str_args(self) -> list[str]:
        out: list[str] = []
        for arg in self.args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                out.append(arg.value)
        return out


@dataclass
class FixtureInfo:
    """A pytest fixture as pytest-asyncio would see it."""

    name: str
    kind: str  # "pytest" | "pytest_asyncio"
    scope: str  # cache scope; "function" unless set (a non-literal scope is "dynamic")
    explicit_loop_scope: str | None
    legacy_scope_on_asyncio: bool  # ``@pytest_asyncio.fixture(scope=...)`` without loop_scope
    autouse: bool
    has_params: bool
    decorator: ast.expr


@dataclass
class FunctionInfo:
    """A ``def`` or ``async def`` at module level or directly inside a class."""

    name: str
    qualname: str
    node: ast.FunctionDef | ast.AsyncFunctionDef
    is_async: bool
    is_generator: bool
    class_name: str | None
    params: list[str]
    annotations: dict[str, ast.expr]
    marks: list[Mark] = field(default_factory=list)
    fixture: FixtureInfo | None = None
    is_test: bool = False
    decorator_names: list[str] = field(default_factory=list)

    @property
    def line(self) -> int:
        return self.node.lineno


@dataclass
class ClassInfo:
    name: str
    node: ast.ClassDef
    bases: list[str]  # qualified where resolvable
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    marks: list[Mark] = field(default_factory=list)
    is_test_class: bool = False
    attributes: dict[str, ast.expr] = field(default_factory=dict)


@dataclass
class VarInfo:
    """A module-level assignment ``name = value`` (the last one wins)."""

    name: str
    value: ast.expr
    node: ast.stmt


@dataclass
class ModuleInfo:
    """Everything phase 1 records about one file."""

    path: Path
    modname: str
    package_root: Path  # directory from which ``modname`` is importable
    rootdir: Path  # pytest rootdir of the file
    tree: ast.Module
    is_conftest: bool
    is_test_module: bool
    imports: dict[str, str] = field(default_factory=dict)  # local name -> qualified
    functions: dict[str, FunctionInfo] = field(default_factory=dict)  # qualname -> info
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    variables: dict[str, VarInfo] = field(default_factory=dict)
    pytestmark: list[Mark] = field(default_factory=list)
    pytest_plugins: list[str] = field(default_factory=list)
    star_imports: list[str] = field(default_factory=list)
    #: Names of every ``async def`` (not async generators) anywhere in the module.
    coroutine_def_names: set[str] = field(default_factory=set)
    #: Calls whose callee this module's imports qualify as ``create_async_engine``.
    engine_calls: list[ast.Call] = field(default_factory=list)

    @property
    def fixtures(self) -> list[FunctionInfo]:
        return [f for f in self.functions.values() if f.fixture is not None]

    @property
    def tests(self) -> list[FunctionInfo]:
        return [f for f in self.functions.values() if f.is_test]
