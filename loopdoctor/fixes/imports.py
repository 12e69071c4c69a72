"""Imports for fixes: reuse what the module already imports, add a missing import exactly once.

A fix that needs ``AsyncMock`` asks for it with :func:`reference`, which answers with the text to
write (``AsyncMock``, ``mock.AsyncMock``, ``um.AsyncMock`` ...) and, only when nothing in the
module binds it yet, an :class:`ImportNeed` the driver adds after all edits of the pass. Only
top-level imports (and those in top-level ``try`` blocks) count: an import inside a function or an
``if TYPE_CHECKING`` block does not bind the name where the fix uses it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import libcst as cst


@dataclass(frozen=True)
class ImportNeed:
    """``from module import name`` (``name`` set) or ``import module`` (``name`` None)."""

    module: str
    name: str | None = None


def dotted_name(node: cst.BaseExpression | cst.Attribute | cst.Name) -> str | None:
    """``a.b.c`` for Name/Attribute chains, None for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted_name(node.value)
        return f"{head}.{node.attr.value}" if head else None
    return None


def _top_level_imports(module: cst.Module) -> Iterator[cst.Import | cst.ImportFrom]:
    """Import statements that bind names in the module namespace for the whole file."""
    stack: list[cst.CSTNode] = list(module.body)
    while stack:
        stmt = stack.pop(0)
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Import | cst.ImportFrom):
                    yield small
        elif isinstance(stmt, cst.Try):
            stack[0:0] = list(stmt.body.body)


def import_map(module: cst.Module) -> dict[str, str]:
    """Local name -> qualified name for the module's top-level imports (relative ones skipped)."""
    names: dict[str, str] = {}
    for imp in _top_level_imports(module):
        if isinstance(imp, cst.Import):
            for alias in imp.names:
                full = dotted_name(alias.name)
                if full is None:
                    continue
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    names[alias.asname.name.value] = full
                else:
                    names[full.split(".")[0]] = full.split(".")[0]
        elif (
            not imp.relative
            and imp.module is not None
            and not isinstance(imp.names, cst.ImportStar)
        ):
            base = dotted_name(imp.module)
            for alias in imp.names:
                name = dotted_name(alias.name)
                if base is None or name is None:
                    continue
                local = name
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    local = alias.asname.name.value
                names[local] = f"{base}.{name}"
    return names


def qualify(expr: cst.BaseExpression, imports: dict[str, str]) -> str | None:
    """``fixture`` -> ``pytest.fixture`` when ``from pytest import fixture``.

    Like the engine's ``ProjectIndex.qualify``: a name no import binds stands for itself, and
    the result is canonical (``httpx._client.AsyncClient`` -> ``httpx.AsyncClient``), so a fix
    sees the same name the rule saw. None for expressions that are not dotted names.
    """
    from loopdoctor.knowledge import canonical

    chain = dotted_name(expr)
    if chain is None:
        return None
    head, _, rest = chain.partition(".")
    base = imports.get(head, head)
    return canonical(f"{base}.{rest}" if rest else base)


def reference(
    module: cst.Module,
    imports: dict[str, str],
    used_names: set[str],
    modules: Sequence[str],
    name: str,
    *,
    style: str = "name",
) -> tuple[str, ImportNeed | None] | None:
    """The text that names ``<module>.<name>`` in this file, and the import to add, if any.

    ``modules`` lists equivalent homes (``sqlalchemy.pool``, ``sqlalchemy``): a name already
    imported from any of them is reused; anything new (an alias, a new import) uses the first,
    the canonical one, which every supported version has. ``style`` picks the new import's
    form: ``"name"`` adds ``from module import name``, ``"module"`` adds ``import module`` and
    writes ``module.name``.
    None when the name to bind is already used for something else (the fix is not certain).
    """
    wanted = {f"{m}.{name}" for m in modules}
    # ``from unittest.mock import AsyncMock [as A]`` -> A
    for local, full in imports.items():
        if full in wanted:
            return local, None
    # ``from unittest.mock import MagicMock`` and a bare name wanted: extend that import line.
    if style == "name" and name not in used_names:
        for imp in _top_level_imports(module):
            if (
                isinstance(imp, cst.ImportFrom)
                and not imp.relative
                and imp.module is not None
                and dotted_name(imp.module) == modules[0]
                and not isinstance(imp.names, cst.ImportStar)
            ):
                return name, ImportNeed(modules[0], name)
    # ``import unittest.mock as um`` / ``from unittest import mock`` -> um.AsyncMock
    for local, full in imports.items():
        if full == modules[0]:
            return f"{local}.{name}", None
    # ``import unittest.mock`` binds ``unittest`` with the submodule loaded -> unittest.mock.X
    for imp in _top_level_imports(module):
        if isinstance(imp, cst.Import):
            for alias in imp.names:
                full = dotted_name(alias.name)
                if alias.asname is None and full == modules[0]:
                    return f"{full}.{name}", None
    home = modules[0]
    if style == "module":
        top = home.split(".")[0]
        if top in used_names and imports.get(top) != top:
            return None
        return f"{home}.{name}", ImportNeed(home)
    if name in used_names:
        return None
    return name, ImportNeed(home, name)


def used_names(nodes: Iterable[cst.CSTNode]) -> set[str]:
    """Identifiers the module binds or reads: a new import must not shadow any of them.

    Attribute names (``mocker.AsyncMock``), keyword names (``f(name=...)``) and the original
    name of an aliased import (``AsyncMock`` in ``import ... AsyncMock as AM``) bind nothing.
    """
    nodes = list(nodes)
    skip: set[int] = set()
    for node in nodes:
        if isinstance(node, cst.Attribute):
            skip.add(id(node.attr))
        elif isinstance(node, cst.Arg) and node.keyword is not None:
            skip.add(id(node.keyword))
        elif isinstance(node, cst.ImportAlias) and node.asname is not None:
            skip.update(id(n) for n in _names_in(node.name))
    return {node.value for node in nodes if isinstance(node, cst.Name) and id(node) not in skip}


def _names_in(node: cst.CSTNode) -> list[cst.Name]:
    if isinstance(node, cst.Name):
        return [node]
    if isinstance(node, cst.Attribute):
        return [*_names_in(node.value), node.attr]
    return []


# -- adding the imports --------------------------------------------------------------------------
def add_imports(module: cst.Module, needs: Iterable[ImportNeed]) -> cst.Module:
    """Add each missing import once: into an existing ``from m import ...`` or as a new line."""
    for need in dict.fromkeys(needs):
        module = _add_one(module, need)
    return module


def _already_there(module: cst.Module, need: ImportNeed) -> bool:
    imports = import_map(module)
    if need.name is None:
        return any(
            isinstance(imp, cst.Import)
            and any(dotted_name(a.name) == need.module and a.asname is None for a in imp.names)
            for imp in _top_level_imports(module)
        )
    return imports.get(need.name) == f"{need.module}.{need.name}"


def _add_one(module: cst.Module, need: ImportNeed) -> cst.Module:
    if _already_there(module, need):
        return module
    body = list(module.body)
    if need.name is not None:
        for index, stmt in enumerate(body):
            if not (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1):
                continue
            imp = stmt.body[0]
            if (
                isinstance(imp, cst.ImportFrom)
                and not imp.relative
                and imp.module is not None
                and dotted_name(imp.module) == need.module
                and not isinstance(imp.names, cst.ImportStar)
            ):
                body[index] = stmt.with_changes(body=[_append_alias(imp, need.name)])
                return module.with_changes(body=body)
        line = f"from {need.module} import {need.name}\n"
    else:
        line = f"import {need.module}\n"
    new_stmt = cst.parse_statement(line, config=module.config_for_parsing)
    position = _insert_position(body, need.module.split(".")[0])
    body.insert(position, new_stmt)
    if position > 0 and not _is_import_line(body[position - 1]):
        body[position] = new_stmt.with_changes(leading_lines=[cst.EmptyLine()])
    if position + 1 < len(body):
        following = body[position + 1]
        if position == 0 and following.leading_lines:
            # The first statement's header comments belong to the file: keep them on top.
            body[0] = new_stmt.with_changes(leading_lines=following.leading_lines)
            following = following.with_changes(leading_lines=[])
        if not _is_import_line(following) and not following.leading_lines:
            following = following.with_changes(leading_lines=[cst.EmptyLine()])
        body[position + 1] = following
    return module.with_changes(body=body)


def _append_alias(imp: cst.ImportFrom, name: str) -> cst.ImportFrom:
    names = list(imp.names)  # type: ignore[arg-type]
    last = names[-1]
    new = cst.ImportAlias(name=cst.Name(name))
    if isinstance(last.comma, cst.Comma):  # parenthesised, trailing comma: keep that layout
        new = new.with_changes(comma=last.comma)
        if len(names) > 1 and isinstance(names[-2].comma, cst.Comma):
            names[-1] = last.with_changes(comma=names[-2].comma)
    else:
        names[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    return imp.with_changes(names=[*names, new])


def _is_import_line(stmt: cst.CSTNode) -> bool:
    return isinstance(stmt, cst.SimpleStatementLine) and all(
        isinstance(s, cst.Import | cst.ImportFrom) for s in stmt.body
    )


def _is_docstring(stmt: cst.CSTNode) -> bool:
    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def _top_module(stmt: cst.CSTNode) -> str | None:
    imp = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) else None
    if isinstance(imp, cst.Import):
        name = dotted_name(imp.names[0].name)
    elif isinstance(imp, cst.ImportFrom) and imp.module is not None and not imp.relative:
        name = dotted_name(imp.module)
    else:
        return None
    return name.split(".")[0] if name else None


def _related(a: str, b: str) -> bool:
    """Same package, or one names the other's plugin (``pytest`` / ``pytest_asyncio``)."""
    return a == b or a.startswith(b + "_") or b.startswith(a + "_")


def _insert_position(body: list[cst.BaseStatement], top: str) -> int:
    """After the last import of the same package in the leading block, else after the block.

    The leading block is the docstring, imports, try-imports and ``TYPE_CHECKING`` blocks; an
    import next to its package's other imports keeps isort's sections mostly intact.
    """
    position = 0
    related = -1
    index = 0
    if body and _is_docstring(body[0]):
        position = index = 1
    while index < len(body):
        stmt = body[index]
        if _is_import_line(stmt):
            position = index + 1
            found = _top_module(stmt)
            if found is not None and found != "__future__" and _related(found, top):
                related = index + 1
        elif isinstance(stmt, cst.Try) or (
            isinstance(stmt, cst.If) and "TYPE_CHECKING" in cst.Module([]).code_for_node(stmt.test)
        ):
            pass  # try-imports and TYPE_CHECKING blocks may sit among the imports
        else:
            break
        index += 1
    return related if related > 0 else position
