"""A small, conservative type inference: enough to know that ``client`` is an ``AsyncClient``.

Types are canonical qualified names (``httpx.AsyncClient``) or project classes (``app.svc.Repo``).
Anything uncertain is ``None``: rules must not guess.
"""

from __future__ import annotations

import ast
import functools
from typing import TYPE_CHECKING

from loopdoctor.index.extract import dotted, iter_own_nodes
from loopdoctor.index.facts import FunctionInfo, ModuleInfo
from loopdoctor.knowledge import (
    ASYNC_SESSION,
    ASYNC_SESSIONMAKER,
    CONSTRUCTORS,
    METHOD_RESULTS,
)

if TYPE_CHECKING:
    from loopdoctor.project import ProjectIndex

#: Generic wrappers whose first argument is the value type (fixture annotations).
_WRAPPERS = frozenset(
    {
        "AsyncIterator",
        "AsyncGenerator",
        "Iterator",
        "Generator",
        "Iterable",
        "AsyncIterable",
        "Optional",
        "Awaitable",
        "Coroutine",
    }
)

Env = dict[str, str]

#: Nested inferences deeper than this (a 1000-link call chain, 500 chained aliases, a long
#: ``A | B | ...`` annotation) answer "unknown" instead of hitting the recursion limit.
_MAX_DEPTH = 64


def _bounded(method):
    """Return None past ``_MAX_DEPTH`` nested calls: a RecursionError would lose the file."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if self._depth >= _MAX_DEPTH:
            return None
        self._depth += 1
        try:
            return method(self, *args, **kwargs)
        finally:
            self._depth -= 1

    return wrapper


class TypeInference:
    """Infers value types of expressions within a module of the project index."""

    def __init__(self, project: ProjectIndex) -> None:
        self.project = project
        self._var_cache: dict[tuple[str, str], str | None] = {}
        self._fixture_cache: dict[tuple[str, str], str | None] = {}
        self._env_cache: dict[int, Env] = {}
        self._active: set[tuple[str, str]] = set()
        self._depth = 0

    # -- annotations -----------------------------------------------------------------------------
    @_bounded
    def from_annotation(self, ann: ast.expr | None, mod: ModuleInfo) -> str | None:
        if ann is None:
            return None
        if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
            try:
                ann = ast.parse(ann.value, mode="eval").body
            except SyntaxError:
                return None
        if isinstance(ann, ast.Subscript):
            head = dotted(ann.value)
            if head and head.split(".")[-1] in _WRAPPERS:
                inner = ann.slice
                if isinstance(inner, ast.Tuple) and inner.elts:
                    inner = inner.elts[0] if head.split(".")[-1] != "Coroutine" else inner.elts[-1]
                return self.from_annotation(inner, mod)
            return None
        if isinstance(ann, ast.BinOp) and isinstance(ann.op, ast.BitOr):  # X | None
            left = self.from_annotation(ann.left, mod)
            return left or self.from_annotation(ann.right, mod)
        return self.class_type(self.project.qualify(ann, mod), mod)

    def class_type(self, qualname: str | None, mod: ModuleInfo) -> str | None:
        """The type named by a class reference (known API or a project class)."""
        if qualname is None:
            return None
        if qualname in CONSTRUCTORS:
            return CONSTRUCTORS[qualname]
        found = self.project.resolve(qualname, mod)
        if found is not None and found.kind == "class":
            return f"{found.module.modname}.{found.obj.name}"  # type: ignore[union-attr]
        return None

    # -- expressions -----------------------------------------------------------------------------
    @_bounded
    def type_of(self, expr: ast.AST | None, mod: ModuleInfo, env: Env | None = None) -> str | None:
        env = env or {}
        if expr is None:
            return None
        if isinstance(expr, ast.Await):
            return self.type_of(expr.value, mod, env)
        if isinstance(expr, ast.Name):
            if expr.id in env:
                return env[expr.id] or None
            return self.global_type(expr.id, mod)
        if isinstance(expr, ast.Attribute):
            qualname = self.project.qualify(expr, mod)
            if qualname and expr.value and isinstance(expr.value, ast.Name):
                if expr.value.id not in env:
                    found = self.project.resolve(qualname, mod)
                    if found is not None and found.kind == "variable":
                        return self.var_type(found.module, found.obj.name)  # type: ignore[union-attr]
            return None
        if isinstance(expr, ast.Call):
            return self.call_type(expr, mod, env)
        return None

    def call_type(self, call: ast.Call, mod: ModuleInfo, env: Env) -> str | None:
        func = call.func
        # ``sessionmaker(..., class_=AsyncSession)`` makes async sessions.
        if isinstance(func, ast.Attribute) and not (
            isinstance(func.value, ast.Name)
            and func.value.id not in env
            and self._is_module_ref(func.value, mod)
        ):
            receiver = self.type_of(func.value, mod, env)
            if receiver is not None:
                return METHOD_RESULTS.get((receiver, func.attr))
            return None
        local_type = env.get(func.id) if isinstance(func, ast.Name) else None
        if local_type:
            return METHOD_RESULTS.get((local_type, "__call__"))
        qualname = self.project.qualify(func, mod)
        if qualname is None:
            return None
        if qualname == "sqlalchemy.orm.sessionmaker":
            for kw in call.keywords:
                if kw.arg == "class_" and self.project.qualify(kw.value, mod) == ASYNC_SESSION:
                    return ASYNC_SESSIONMAKER
            return "sqlalchemy.orm.sessionmaker"
        if qualname in CONSTRUCTORS:
            return CONSTRUCTORS[qualname]
        found = self.project.resolve(qualname, mod)
        if found is None:
            return None
        if found.kind == "class":
            return f"{found.module.modname}.{found.obj.name}"  # type: ignore[union-attr]
        if found.kind == "variable":
            value_type = self.var_type(found.module, found.obj.name)  # type: ignore[union-attr]
            return METHOD_RESULTS.get((value_type, "__call__")) if value_type else None
        if found.kind == "function":
            return self.return_type(found.obj, found.module)  # type: ignore[arg-type]
        return None

    def _is_module_ref(self, name: ast.Name, mod: ModuleInfo) -> bool:
        if name.id not in mod.imports:
            return False
        found = self.project.resolve(mod.imports[name.id], mod)
        return found is None or found.kind == "module"

    def global_type(self, name: str, mod: ModuleInfo) -> str | None:
        if name in mod.variables:
            return self.var_type(mod, name)
        if name in mod.imports:
            found = self.project.resolve(mod.imports[name], mod)
            if found is not None and found.kind == "variable":
                return self.var_type(found.module, found.obj.name)  # type: ignore[union-attr]
        return None

    def var_type(self, mod: ModuleInfo, name: str) -> str | None:
        key = (str(mod.path), name)
        if key in self._var_cache:
            return self._var_cache[key]
        if key in self._active:
            return None
        self._active.add(key)
        try:
            var = mod.variables.get(name)
            result = None
            if var is not None:
                ann = getattr(var.node, "annotation", None)
                result = self.from_annotation(ann, mod) or self.type_of(var.value, mod, {})
        finally:
            self._active.discard(key)
        self._var_cache[key] = result
        return result

    def return_type(self, func: FunctionInfo, mod: ModuleInfo) -> str | None:
        """Type returned (or yielded) by a project function: annotation, else its return value."""
        key = (str(mod.path), func.qualname)
        if key in self._fixture_cache:
            return self._fixture_cache[key]
        if key in self._active:
            return None
        self._active.add(key)
        try:
            result = self.from_annotation(func.node.returns, mod)
            if result is None:
                env = self.local_env(func, mod)
                for value in produced_values(func):
                    result = self.type_of(value, mod, env)
                    if result is not None:
                        break
        finally:
            self._active.discard(key)
        self._fixture_cache[key] = result
        return result

    # -- function-local environments -------------------------------------------------------------
    def local_env(self, func: FunctionInfo, mod: ModuleInfo) -> Env:
        """Types of a function's parameters (annotations, fixtures) and simple local bindings."""
        cached = self._env_cache.get(id(func.node))
        if cached is not None:
            return cached
        env: Env = {}
        self._env_cache[id(func.node)] = env  # guards recursion through fixtures
        for param in func.params:
            typ = self.from_annotation(func.annotations.get(param), mod)
            if typ is None and (func.is_test or func.fixture is not None):
                fixture = self.project.param_fixture(func, mod, param)
                if fixture is not None and fixture.func is not func:
                    typ = self.return_type(fixture.func, fixture.module)
            env[param] = typ or ""
        nodes = sorted(
            (n for n in iter_own_nodes(func.node) if hasattr(n, "lineno")),
            key=lambda n: (n.lineno, n.col_offset),  # type: ignore[attr-defined]
        )
        for node in nodes:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    env[target.id] = self.type_of(node.value, mod, env) or ""
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                env[node.target.id] = (
                    self.from_annotation(node.annotation, mod)
                    or self.type_of(node.value, mod, env)
                    or ""
                )
            elif isinstance(node, ast.With | ast.AsyncWith):
                for item in node.items:
                    if isinstance(item.optional_vars, ast.Name):
                        env[item.optional_vars.id] = self.type_of(item.context_expr, mod, env) or ""
            elif isinstance(node, ast.For | ast.AsyncFor) and isinstance(node.target, ast.Name):
                env[node.target.id] = ""
        return env


def produced_values(func: FunctionInfo) -> list[ast.expr]:
    """Expressions a function yields (for generators) or returns."""
    values: list[ast.expr] = []
    for node in iter_own_nodes(func.node):
        wanted = ast.Yield if func.is_generator else ast.Return
        if isinstance(node, wanted) and node.value is not None:
            values.append(node.value)
    values.sort(key=lambda n: (n.lineno, n.col_offset))
    return values
