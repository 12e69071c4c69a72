"""LD203: a fixture ``return``s a resource it created (client, session, engine, connection)."""

from __future__ import annotations

import ast
from collections.abc import Iterable

from loopdoctor.astwalk import walk
from loopdoctor.diagnostic import Severity
from loopdoctor.index.extract import iter_own_nodes
from loopdoctor.index.facts import FunctionInfo
from loopdoctor.index.types import Env
from loopdoctor.knowledge import CLOSEABLE_TYPES
from loopdoctor.rule import Rule

#: How each closeable type is released.
CLOSE_CALL: dict[str, str] = {
    "httpx.AsyncClient": "await client.aclose()",
    "httpx.Client": "client.close()",
    "aiohttp.ClientSession": "await session.close()",
    "sqlalchemy.ext.asyncio.AsyncSession": "await session.close()",
    "sqlalchemy.ext.asyncio.AsyncEngine": "await engine.dispose()",
    "sqlalchemy.ext.asyncio.AsyncConnection": "await connection.close()",
    "asyncpg.Connection": "await connection.close()",
    "asyncpg.Pool": "await pool.close()",
}
#: Calls in a fixture body that register teardown for what it returns.
_TEARDOWN_ATTRS = frozenset(
    {"addfinalizer", "enter_async_context", "enter_context", "push_async_callback", "callback"}
)


class UnclosedFixtureResource(Rule):
    code = "LD203"
    name = "unclosed-fixture-resource"
    severity = Severity.WARNING
    summary = (
        "A fixture returns a client/session/engine/connection it created: nothing closes it "
        "after the test."
    )
    tokens = (b"return",)
    requires = ((b"fixture",),)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        ctx = self.ctx
        func = ctx.function_info(node)
        if func is None or func.fixture is None:
            return
        own = sorted(
            (n for n in iter_own_nodes(node) if hasattr(n, "lineno")),
            key=lambda n: (n.lineno, n.col_offset),  # type: ignore[attr-defined]
        )
        if any(_registers_teardown(n) for n in own):
            return
        env = ctx.env(func)
        if func.is_generator:
            self.check_yields(func, node, env, own)
            return
        for ret in own:
            if isinstance(ret, ast.Return) and ret.value is not None:
                self.check_return(func, ret, env, own)

    visit_AsyncFunctionDef = visit_FunctionDef

    def check_yields(
        self,
        func: FunctionInfo,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        env: Env,
        own: list[ast.AST],
    ) -> None:
        """``yield AsyncClient(...)`` at the top level of the body with no teardown after it."""
        body = node.body
        for index, stmt in enumerate(body):
            if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Yield)):
                continue
            value = stmt.value.value
            if value is None:
                continue
            after = body[index + 1 :]
            if isinstance(value, ast.Call):
                created: ast.AST | None = value
                if any(_closes_something(n) for s in after for n in walk(s)):
                    continue
            elif isinstance(value, ast.Name) and value.id not in func.params:
                created, in_with = _binding(value.id, own)
                if created is None or in_with:
                    continue
                if any(
                    isinstance(n, ast.Name) and n.id == value.id for s in after for n in walk(s)
                ):
                    continue
            else:
                continue
            typ = self.ctx.types.type_of(
                value if isinstance(value, ast.Name) else created, self.ctx.module, env
            )
            if typ not in CLOSEABLE_TYPES or typ == "sqlalchemy.ext.asyncio.AsyncEngine":
                continue  # a yielded engine without dispose() is LD502's (engine-not-disposed)
            name = func.fixture.name if func.fixture else func.name
            close = CLOSE_CALL.get(typ, "close it")
            with_kw = "async with" if typ != "httpx.Client" else "with"
            self.report(
                stmt,
                f"fixture `{name}` yields a `{typ}` it created but never closes it after the "
                f"`yield` (no `{close}`, no `{with_kw}` block): its connections leak after every "
                f"test; yield it inside `{with_kw} ... as x:` or close it after the `yield`",
            )

    def check_return(
        self, func: FunctionInfo, ret: ast.Return, env: Env, own: list[ast.AST]
    ) -> None:
        value = ret.value.value if isinstance(ret.value, ast.Await) else ret.value
        created_by: ast.AST | None = None
        closed_by_with = False
        if isinstance(value, ast.Call):
            created_by = value
        elif isinstance(value, ast.Name) and value.id not in func.params:
            created_by, closed_by_with = _binding(value.id, own)
        if created_by is None:
            return
        typ = self.ctx.types.type_of(
            created_by if not isinstance(created_by, ast.Name) else value, self.ctx.module, env
        )
        if typ is None and isinstance(value, ast.Name):
            typ = env.get(value.id) or None
        if typ not in CLOSEABLE_TYPES:
            return
        short = f"`{typ}`"
        name = func.fixture.name if func.fixture else func.name
        if closed_by_with:
            self.report(
                ret,
                f"fixture `{name}` returns the {short} from inside its `with` block: it is "
                "closed before the test receives it; `yield` it inside the block instead",
            )
            return
        if _closed_by_consumer(self.ctx.module.functions.values(), name):
            return
        close = CLOSE_CALL.get(typ, "close it")
        with_kw = "async with" if typ != "httpx.Client" else "with"
        self.report(
            ret,
            f"fixture `{name}` returns a {short} it created: nothing calls `{close}` after "
            "the test, so its connections leak (ResourceWarning 'unclosed ...', sockets and "
            f"pooled connections left open across tests); use `{with_kw} ... as x: yield x` "
            "or `yield` it and close it after the `yield`",
        )


def _closed_by_consumer(functions: Iterable[FunctionInfo], name: str) -> bool:
    """A fixture requesting ``name`` enters it (``async with pool:``) or closes it, maybe in a
    function it defines (an app lifespan): the resource is closed, just not by its maker."""
    for func in functions:
        if func.fixture is None or name not in func.params:
            continue
        for node in walk(func.node):
            if isinstance(node, ast.With | ast.AsyncWith) and any(
                isinstance(item.context_expr, ast.Name) and item.context_expr.id == name
                for item in node.items
            ):
                return True
            if (
                _closes_something(node)
                and isinstance(node.func.value, ast.Name)  # type: ignore[attr-defined]
                and node.func.value.id == name  # type: ignore[attr-defined]
            ):
                return True
    return False


def _closes_something(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("close", "aclose", "dispose", "terminate")
    )


def _registers_teardown(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in _TEARDOWN_ATTRS
    )


def _binding(name: str, own: list[ast.AST]) -> tuple[ast.AST | None, bool]:
    """The call that created local ``name`` (assignment or ``with ... as name``)."""
    found: ast.AST | None = None
    in_with = False
    for node in own:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            value = node.value.value if isinstance(node.value, ast.Await) else node.value
            if not isinstance(value, ast.Call):
                return None, False
            found, in_with = value, False
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                if isinstance(item.optional_vars, ast.Name) and item.optional_vars.id == name:
                    if not isinstance(item.context_expr, ast.Call):
                        return None, False
                    found, in_with = item.context_expr, True
    return found, in_with
