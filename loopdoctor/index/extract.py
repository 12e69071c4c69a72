"""Turn one parsed module into a :class:`ModuleInfo`: imports, defs, fixtures, tests, marks."""

from __future__ import annotations

import ast
import fnmatch
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from loopdoctor.astwalk import PARENT, child_nodes, walk
from loopdoctor.index.facts import (
    ClassInfo,
    FixtureInfo,
    FunctionInfo,
    Mark,
    ModuleInfo,
    VarInfo,
)
from loopdoctor.knowledge import FIXTURE_DECORATORS, canonical
from loopdoctor.source import SourceFile

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


def dotted(expr: ast.AST) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if isinstance(expr, ast.Name):
        parts.append(expr.id)
        return ".".join(reversed(parts))
    return None


def iter_own_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """Walk a function body without descending into nested functions, lambdas or classes.

    The list is computed once per node and cached on it: rules ask for the same bodies often.
    """
    cached: list[ast.AST] | None = getattr(node, "_ld_own", None)
    if cached is None:
        cached = []
        stack = child_nodes(node)
        while stack:
            child = stack.pop()
            cached.append(child)
            if isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
            ):
                continue
            stack.extend(child_nodes(child))
        node._ld_own = cached  # type: ignore[attr-defined]
    return iter(cached)


#: ``async def NAME``, across spaces and line continuations (comments cannot come between).
_ASYNC_DEF = re.compile(r"\basync(?:\s|\\)+def(?:\s|\\)+(\w+)")


def async_def_names(source: SourceFile) -> frozenset[str]:
    """Names of every ``async def`` in the text, without parsing: a superset of the
    coroutine functions (it also has async generators and defs quoted in strings), which
    is all its users need, a cheap gate before exact resolution."""
    if b"async" not in source.data:
        return frozenset()
    return frozenset(_ASYNC_DEF.findall(source.text))


def is_generator(func: FunctionNode) -> bool:
    return any(isinstance(n, ast.Yield | ast.YieldFrom) for n in iter_own_nodes(func))


def resolve_relative(modname: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute module named by ``from <level dots><target> import ...`` inside ``modname``."""
    parts = modname.split(".") if modname else []
    if not is_package and parts:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: max(0, len(parts) - (level - 1))]
    if target:
        parts.append(target)
    return ".".join(parts)


def match_any(name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def is_test_file(path: Path, python_files: Sequence[str]) -> bool:
    return match_any(path.name, python_files)


def prefix_or_glob(name: str, patterns: Sequence[str]) -> bool:
    """pytest's python_functions/python_classes: a prefix, or a glob when it has wildcards."""
    for pattern in patterns:
        if any(ch in pattern for ch in "*?["):
            if fnmatch.fnmatchcase(name, pattern):
                return True
        elif name.startswith(pattern):
            return True
    return False


#: What a ``yield`` belongs to (``iter_own_nodes`` does not descend into these).
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def _imports_first_walk(tree: ast.Module) -> list[ast.AST]:
    """The nodes ``collect_imports`` needs, in ``ast.walk``'s breadth-first order.

    A parsed tree carries its pre-order walk (``engine._link_parents``): nodes of one depth
    come in the same order in both walks, so a stable sort of the few imports and calls by
    depth gives ``ast.walk``'s order without walking the tree again.
    """
    order: list[ast.AST] | None = getattr(tree, "_ld_order", None)
    if order is None:
        return walk(tree)
    wanted = [
        node
        for node in order
        if isinstance(node, ast.Import | ast.ImportFrom | ast.AsyncFunctionDef)
        or (isinstance(node, ast.Call) and "engine" in _last_name(node.func).lower())
    ]
    return sorted(wanted, key=_depth)


def _last_name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _depth(node: ast.AST) -> int:
    depth = 0
    while (node := getattr(node, PARENT, None)) is not None:
        depth += 1
    return depth


class ModuleExtractor:
    """Builds a ModuleInfo; qualification uses only what the module itself imports or defines."""

    def __init__(
        self,
        info: ModuleInfo,
        python_classes: Sequence[str],
        python_functions: Sequence[str],
    ) -> None:
        self.info = info
        self.python_classes = python_classes
        self.python_functions = python_functions
        self.is_package = info.path.name == "__init__.py"
        #: False when the text has no ``yield``: then no def is a generator (skips body walks).
        self.may_yield = True
        self._generators: set[int] | None = None
        self.defined: set[str] = set()

    # -- names -------------------------------------------------------------------------------
    def qualify(self, expr: ast.AST) -> str | None:
        name = dotted(expr)
        if name is None:
            return None
        return self.qualify_dotted(name)

    def qualify_dotted(self, name: str) -> str:
        head, _, rest = name.partition(".")
        info = self.info
        if head in info.imports:
            base = info.imports[head]
        elif head in self.defined or head in info.variables:
            base = f"{info.modname}.{head}" if info.modname else head
        else:
            base = head
        full = f"{base}.{rest}" if rest else base
        return canonical(full) or full

    # -- marks ---------------------------------------------------------------------------------
    def mark_of(self, expr: ast.expr, depth: int = 0) -> Mark | None:
        call_args: list[ast.expr] = []
        call_kwargs: dict[str, ast.expr] = {}
        target = expr
        if isinstance(expr, ast.Call):
            target = expr.func
            call_args = list(expr.args)
            call_kwargs = {k.arg: k.value for k in expr.keywords if k.arg}
        name = dotted(target)
        if name is None:
            return None
        head = name.split(".")[0]
        # ``asyncio_mark = pytest.mark.asyncio`` at module level, then ``@asyncio_mark``.
        if depth < 3 and "." not in name and head in self.info.variables:
            inner = self.mark_of(self.info.variables[head].value, depth + 1)
            if inner is not None and not call_args and not call_kwargs:
                return inner
        qualified = self.qualify_dotted(name)
        if not qualified.startswith("pytest.mark."):
            return None
        mark_name = qualified[len("pytest.mark.") :].split(".")[0]
        return Mark(mark_name, call_args, call_kwargs, expr)

    def marks_of_value(self, value: ast.expr) -> list[Mark]:
        items = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
        marks: list[Mark] = []
        for item in items:
            mark = self.mark_of(item)
            if mark is not None:
                marks.append(mark)
        return marks

    # -- fixtures ------------------------------------------------------------------------------
    def fixture_of(self, decorator: ast.expr, func_name: str) -> tuple[str, FixtureInfo] | None:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        qualified = self.qualify(target)
        if qualified is None:
            return None
        kind = FIXTURE_DECORATORS.get(qualified)
        if kind is None:
            return None
        kwargs: dict[str, ast.expr] = {}
        if isinstance(decorator, ast.Call):
            kwargs = {k.arg: k.value for k in decorator.keywords if k.arg}
            # ``@pytest.fixture("session")`` is the old positional scope form.
            if decorator.args and "scope" not in kwargs:
                kwargs["scope"] = decorator.args[0]
        name = func_name
        if isinstance(kwargs.get("name"), ast.Constant) and isinstance(kwargs["name"].value, str):
            name = kwargs["name"].value
        scope = "function"
        if "scope" in kwargs:
            node = kwargs["scope"]
            scope = (
                node.value
                if isinstance(node, ast.Constant) and isinstance(node.value, str)
                else "dynamic"
            )
        loop_scope = None
        if "loop_scope" in kwargs:
            node = kwargs["loop_scope"]
            loop_scope = (
                node.value
                if isinstance(node, ast.Constant) and isinstance(node.value, str)
                else "dynamic"
            )
        autouse_node = kwargs.get("autouse")
        autouse = isinstance(autouse_node, ast.Constant) and autouse_node.value is True
        fixture = FixtureInfo(
            name=name,
            kind=kind,
            scope=scope,
            explicit_loop_scope=loop_scope,
            legacy_scope_on_asyncio=kind == "pytest_asyncio"
            and "scope" in kwargs
            and loop_scope is None,
            autouse=autouse,
            has_params="params" in kwargs,
            decorator=decorator,
        )
        return name, fixture

    # -- functions -----------------------------------------------------------------------------
    def function_info(self, node: FunctionNode, class_info: ClassInfo | None) -> FunctionInfo:
        args = node.args
        all_args = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        params = [a.arg for a in all_args]
        if class_info is not None and params and params[0] in ("self", "cls"):
            params = params[1:]
        is_static = any(dotted(d) == "staticmethod" for d in node.decorator_list)
        if class_info is not None and is_static:
            params = [a.arg for a in all_args]
        annotations = {a.arg: a.annotation for a in all_args if a.annotation is not None}
        qualname = f"{class_info.name}.{node.name}" if class_info else node.name
        info = FunctionInfo(
            name=node.name,
            qualname=qualname,
            node=node,
            is_async=isinstance(node, ast.AsyncFunctionDef),
            is_generator=self.is_generator(node),
            class_name=class_info.name if class_info else None,
            params=params,
            annotations=annotations,
        )
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            qualified = self.qualify(target)
            if qualified:
                info.decorator_names.append(qualified)
            fixture = self.fixture_of(decorator, node.name)
            if fixture is not None:
                info.fixture = fixture[1]
                continue
            mark = self.mark_of(decorator)
            if mark is not None:
                info.marks.append(mark)
        if info.fixture is None and self.info.is_test_module:
            in_test_class = class_info is None or class_info.is_test_class
            info.is_test = in_test_class and prefix_or_glob(node.name, self.python_functions)
        return info

    # -- module walk ---------------------------------------------------------------------------
    def record_import(self, node: ast.Import | ast.ImportFrom) -> None:
        imports = self.info.imports
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    imports[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    imports.setdefault(head, head)
            return
        base = node.module or ""
        if node.level:
            base = resolve_relative(self.info.modname, self.is_package, node.level, node.module)
        for alias in node.names:
            if alias.name == "*":
                self.info.star_imports.append(base)
                continue
            local = alias.asname or alias.name
            imports[local] = f"{base}.{alias.name}" if base else alias.name

    def is_generator(self, func: FunctionNode) -> bool:
        """From the module's yields up to their defs, found once (not a walk per def)."""
        if not self.may_yield:
            return False
        if self._generators is None:
            order: list[ast.AST] | None = getattr(self.info.tree, "_ld_order", None)
            if order is None:  # a tree without parent links: walk the body
                return is_generator(func)
            self._generators = set()
            for node in order:
                if isinstance(node, ast.Yield | ast.YieldFrom):
                    owner = getattr(node, PARENT, None)
                    while owner is not None and not isinstance(owner, _SCOPES):
                        owner = getattr(owner, PARENT, None)
                    if owner is not None:
                        self._generators.add(id(owner))
        return id(func) in self._generators

    def collect_imports(self, tree: ast.Module) -> list[ast.Call]:
        """Imports anywhere in the file (function-level imports are rare and rarely shadowed).

        The same walk records coroutine ``async def`` names and returns the calls that may
        create engines, so that no later analysis has to walk every module again.
        """
        calls: list[ast.Call] = []
        names = self.info.coroutine_def_names
        for node in _imports_first_walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                self.record_import(node)
            elif isinstance(node, ast.AsyncFunctionDef):
                if not self.is_generator(node):
                    names.add(node.name)
            elif isinstance(node, ast.Call):
                func = node.func
                last = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                if last is not None and "engine" in last.lower():
                    calls.append(node)
        return calls

    def collect_names(self, body: Sequence[ast.stmt]) -> None:
        """Module-level defs and assignments, so that decorators can be qualified."""
        info = self.info
        for stmt in self._flatten(body):
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                self.defined.add(stmt.name)
            elif isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        info.variables[target.id] = VarInfo(target.id, stmt.value, stmt)
            elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                if stmt.value is not None:
                    info.variables[stmt.target.id] = VarInfo(stmt.target.id, stmt.value, stmt)

    def _flatten(self, body: Sequence[ast.stmt]) -> Iterator[ast.stmt]:
        """Module statements, looking inside ``if``/``try``/``with`` blocks at module level."""
        for stmt in body:
            if isinstance(stmt, ast.If | ast.Try | ast.With):
                yield from self._flatten(stmt.body)
                yield from self._flatten(getattr(stmt, "orelse", []))
                for handler in getattr(stmt, "handlers", []):
                    yield from self._flatten(handler.body)
                yield from self._flatten(getattr(stmt, "finalbody", []))
            elif hasattr(ast, "TryStar") and isinstance(stmt, ast.TryStar):
                yield from self._flatten(stmt.body)
            else:
                yield stmt

    def run(self) -> ModuleInfo:
        tree = self.info.tree
        info = self.info
        engine_candidates = self.collect_imports(tree)
        self.collect_names(tree.body)
        info.engine_calls = [
            call
            for call in engine_candidates
            if self.qualify(call.func) == "sqlalchemy.ext.asyncio.create_async_engine"
        ]
        for stmt in self._flatten(tree.body):
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                func = self.function_info(stmt, None)
                info.functions[func.qualname] = func
            elif isinstance(stmt, ast.ClassDef):
                self.class_info(stmt)
            elif isinstance(stmt, ast.Assign | ast.AnnAssign):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
                if "pytestmark" in names and stmt.value is not None:
                    info.pytestmark = self.marks_of_value(stmt.value)
                if "pytest_plugins" in names and stmt.value is not None:
                    info.pytest_plugins = _string_list(stmt.value)
            elif (
                isinstance(stmt, ast.AugAssign)
                and isinstance(stmt.target, ast.Name)
                and stmt.target.id == "pytestmark"
            ):
                info.pytestmark.extend(self.marks_of_value(stmt.value))  # pytestmark += [...]
            elif (
                isinstance(stmt, ast.Expr)
                and isinstance(stmt.value, ast.Call)
                and isinstance(stmt.value.func, ast.Attribute)
                and isinstance(stmt.value.func.value, ast.Name)
                and stmt.value.func.value.id == "pytestmark"
                and stmt.value.func.attr in ("append", "extend", "insert")
                and stmt.value.args
            ):
                # pytestmark = [] then pytestmark.append(mark) / .extend([...]) / .insert(0, m)
                info.pytestmark.extend(self.marks_of_value(stmt.value.args[-1]))
        return info

    def class_info(self, node: ast.ClassDef) -> None:
        bases = [self.qualify(b) or "" for b in node.bases]
        cls = ClassInfo(name=node.name, node=node, bases=bases)
        has_init = any(isinstance(s, ast.FunctionDef) and s.name == "__init__" for s in node.body)
        cls.is_test_class = (
            self.info.is_test_module
            and prefix_or_glob(node.name, self.python_classes)
            and not has_init
        )
        for decorator in node.decorator_list:
            mark = self.mark_of(decorator)
            if mark is not None:
                cls.marks.append(mark)
        for stmt in node.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                method = self.function_info(stmt, cls)
                cls.methods[stmt.name] = method
                self.info.functions[method.qualname] = method
            elif isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        cls.attributes[target.id] = stmt.value
                        if target.id == "pytestmark":
                            cls.marks.extend(self.marks_of_value(stmt.value))
            elif (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and stmt.value is not None
            ):
                cls.attributes[stmt.target.id] = stmt.value
        self.info.classes[node.name] = cls


def _string_list(value: ast.expr) -> list[str]:
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return [value.value]
    if isinstance(value, ast.List | ast.Tuple):
        return [
            e.value for e in value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]
    return []
