"""What a rule sees of the file it checks: source, parents, enclosing defs, types, the index."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from loopdoctor.astwalk import PARENT
from loopdoctor.diagnostic import Location
from loopdoctor.index.facts import FunctionInfo, ModuleInfo
from loopdoctor.index.types import Env, TypeInference
from loopdoctor.project import ProjectIndex
from loopdoctor.source import SourceFile

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


class FileContext:
    """Shared per-file state for all rules of one traversal."""

    def __init__(
        self,
        source: SourceFile,
        module: ModuleInfo,
        project: ProjectIndex,
        types: TypeInference,
    ) -> None:
        self.source = source
        self.module = module
        self.project = project
        self.types = types
        self.path = source.path
        self._functions = {id(f.node): f for f in module.functions.values()}
        #: Answers per node id: rules ask for every call, and walking all ancestors each time
        #: cost nodes x depth (seconds for a 2,000-deep call chain).
        self._enclosing_defs: dict[int, FunctionNode | None] = {}
        self._enclosing_functions: dict[int, FunctionInfo | None] = {}

    # -- tree navigation -------------------------------------------------------------------------
    @staticmethod
    def parent(node: ast.AST) -> ast.AST | None:
        return getattr(node, PARENT, None)

    def ancestors(self, node: ast.AST) -> Iterator[ast.AST]:
        current = self.parent(node)
        while current is not None:
            yield current
            current = self.parent(current)

    def enclosing_def(self, node: ast.AST) -> FunctionNode | None:
        cache = self._enclosing_defs
        below: list[ast.AST] = []  # nodes between ``node`` and the answer share it
        found: FunctionNode | None = None
        child, current = node, self.parent(node)
        while current is not None:
            if id(child) in cache:
                found = cache[id(child)]
                break
            below.append(child)
            if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef):
                found = current
                break
            if isinstance(current, ast.Lambda):
                break
            child, current = current, self.parent(current)
        for item in below:
            cache[id(item)] = found
        return found

    def function_info(self, node: ast.AST | None) -> FunctionInfo | None:
        """The index record of a module-level function or method node (not nested defs)."""
        return self._functions.get(id(node)) if node is not None else None

    def enclosing_function(self, node: ast.AST) -> FunctionInfo | None:
        """Index record of the outermost indexed def around ``node`` (a test, fixture, helper)."""
        cache = self._enclosing_functions
        chain: list[ast.AST] = []
        current: ast.AST | None = node
        while current is not None and id(current) not in cache:
            chain.append(current)
            current = self.parent(current)
        outer = cache[id(current)] if current is not None else None
        for item in reversed(chain):  # top down: the outermost indexed def wins
            parent = self.parent(item)
            if outer is None and parent is not None:
                outer = self._functions.get(id(parent))
            cache[id(item)] = outer
        return cache[id(node)]

    def env(self, func: FunctionInfo | None) -> Env:
        if func is None:
            return {}
        return self.types.local_env(func, self.module)

    def qualify(self, expr: ast.AST) -> str | None:
        return self.project.qualify(expr, self.module)

    def is_locally_bound(self, name: str, node: ast.AST) -> bool:
        """True when ``name`` is a parameter or assigned inside the def that encloses ``node``."""
        func = self.enclosing_def(node)
        while func is not None:
            if name in _local_names(func):
                return True
            func = self.enclosing_def(func)
        return False

    # -- locations -------------------------------------------------------------------------------
    def location(self, node: ast.AST, path: object = None) -> Location:
        source = self.source
        if path is not None and Path(str(path)) != self.path:
            other = self.project.module(Path(str(path)))
            return _foreign_location(Path(str(path)), node, other)
        line = getattr(node, "lineno", 1)
        end_line = getattr(node, "end_lineno", None) or line
        col = source.char_column(line, getattr(node, "col_offset", 0))
        end_col = source.char_column(end_line, getattr(node, "end_col_offset", 0) or 0)
        return Location(self.path, line, col, end_line, end_col)

    def name_location(self, node: ast.AST) -> Location:
        """For a def/class: the span of its name on the ``def`` line."""
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return self.location(node)
        line = node.lineno
        text = self.source.lines[line - 1] if line <= len(self.source.lines) else ""
        keyword = "class " if isinstance(node, ast.ClassDef) else "def "
        start = text.find(keyword)
        index = text.find(node.name, start + len(keyword)) if start >= 0 else -1
        if index < 0:
            return self.location(node)
        return Location(self.path, line, index + 1, line, index + 1 + len(node.name))

    def statement_line(self, node: ast.AST) -> int | None:
        current: ast.AST | None = node
        while current is not None and not isinstance(current, ast.stmt):
            current = self.parent(current)
        if current is None:
            return None
        if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if current.decorator_list and node is not current:
                return current.lineno
        return current.lineno


def _foreign_location(path: Path, node: ast.AST, module: ModuleInfo | None) -> Location:
    line = getattr(node, "lineno", 1)
    end_line = getattr(node, "end_lineno", None) or line
    col = getattr(node, "col_offset", 0) + 1
    end_col = (getattr(node, "end_col_offset", 0) or 0) + 1
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        end_line, end_col = line, col
    return Location(path, line, col, end_line, end_col)


def _local_names(func: FunctionNode) -> set[str]:
    cached = getattr(func, "_ld_locals", None)
    if cached is not None:
        return cached
    args = func.args
    names = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    if args.vararg:
        names.add(args.vararg.arg)
    if args.kwarg:
        names.add(args.kwarg.arg)
    from loopdoctor.index.extract import iter_own_nodes

    for node in iter_own_nodes(func):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    func._ld_locals = names  # type: ignore[attr-defined]
    return names
