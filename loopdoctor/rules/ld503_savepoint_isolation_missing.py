"""LD503: the per-test rollback pattern without ``join_transaction_mode="create_savepoint"``.

A session bound to a connection inside an outer transaction joins that transaction. With
SQLAlchemy 2.x's default join mode the session's ``rollback()`` rolls the outer transaction
back, so everything the test does afterwards runs (and commits) outside the isolation.
"""

from __future__ import annotations

import ast

from loopdoctor.diagnostic import Severity
from loopdoctor.index.extract import dotted, iter_own_nodes
from loopdoctor.index.facts import FunctionInfo, ModuleInfo
from loopdoctor.knowledge import ASYNC_ENGINE
from loopdoctor.metadata.sessions import (
    bind_arg,
    factory_call_of,
    has_star_kwargs,
    kwarg,
    session_construct_kind,
)
from loopdoctor.rule import TEST_FILE, Rule

_ENGINE_TYPES = frozenset({ASYNC_ENGINE, "sqlalchemy.engine.Engine"})
_SAFE_MODE = "create_savepoint"


class SavepointIsolationMissing(Rule):
    code = "LD503"
    name = "savepoint-isolation-missing"
    severity = Severity.ERROR
    summary = (
        "A session joins a test's outer transaction without "
        '`join_transaction_mode="create_savepoint"`: its rollback() ends the isolation.'
    )
    tokens = (b"begin", b"bind", b"Session", b"sessionmaker")
    requires = ((TEST_FILE, b"fixture"),)  # a fixture or a test
    _mod: ModuleInfo

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        func = self.ctx.function_info(node)
        if func is None:
            return
        own = list(iter_own_nodes(node))
        in_tx = self.connections_in_transaction(func, own, self.ctx.module)
        in_tx |= self.connection_fixtures(func)
        if not in_tx:
            return
        if self.legacy_recipe(own):
            return
        for call in own:
            if isinstance(call, ast.Call):
                self.check_session(call, in_tx)

    visit_AsyncFunctionDef = visit_FunctionDef

    # -- the pattern --
    def connection_fixtures(self, func: FunctionInfo) -> set[str]:
        """Parameters whose fixture yields a connection with an outer transaction begun on it."""
        if func.fixture is None and not func.is_test:
            return set()
        project, mod = self.ctx.project, self.ctx.module
        out: set[str] = set()
        for param in func.params:
            fixture = project.param_fixture(func, mod, param)
            if fixture is None or fixture.func is func or not fixture.func.is_generator:
                continue
            own = list(iter_own_nodes(fixture.func.node))
            conns = self.connections_in_transaction(fixture.func, own, fixture.module)
            if any(
                isinstance(n, ast.Yield) and isinstance(n.value, ast.Name) and n.value.id in conns
                for n in own
            ):
                out.add(param)
        return out

    def connections_in_transaction(
        self, func: FunctionInfo, own: list[ast.AST], mod: ModuleInfo
    ) -> set[str]:
        """Local connections with an outer (non-nested) transaction begun on them."""
        env = self.ctx.types.local_env(func, mod)
        self._mod = mod
        conns: dict[str, bool] = {}  # name -> already in a transaction (engine.begin())
        for node in own:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                value = node.value.value if isinstance(node.value, ast.Await) else node.value
                if isinstance(target, ast.Name) and self.engine_call(value, env, ("connect",)):
                    conns[target.id] = False
            elif isinstance(node, ast.With | ast.AsyncWith):
                for item in node.items:
                    var = item.optional_vars
                    if not isinstance(var, ast.Name):
                        continue
                    if self.engine_call(item.context_expr, env, ("connect",)):
                        conns[var.id] = False
                    elif self.engine_call(item.context_expr, env, ("begin",)):
                        conns[var.id] = True
        if not conns:
            return set()
        nested: set[str] = set()
        transactions: dict[str, str] = {}  # transaction variable -> its connection
        for node in own:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                conn = _begun_on(node.value, conns)
                if conn and isinstance(node.targets[0], ast.Name):
                    transactions[node.targets[0].id] = conn
            elif isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
                conn = _begun_on(node.context_expr, conns)
                if conn:
                    transactions[node.optional_vars.id] = conn
        rolled_back: set[str] = set()
        committed: set[str] = set()
        explicit_begin = {name for name, began in conns.items() if not began}
        for node in own:
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
            ):
                receiver = node.func.value.id
                if node.func.attr == "rollback" and receiver in transactions:
                    rolled_back.add(transactions[receiver])
                if node.func.attr == "commit":
                    committed.add(transactions.get(receiver, receiver))
                if receiver not in conns:
                    continue
                if node.func.attr == "begin":
                    conns[receiver] = True
                elif node.func.attr == "begin_nested":
                    nested.add(receiver)
                elif node.func.attr == "rollback":
                    rolled_back.add(receiver)
        # the per-test rollback pattern: an outer transaction that teardown rolls back, or that
        # is begun on a connection from engine.connect() and never committed (closing the
        # connection rolls it back)
        rolled_back |= explicit_begin - committed
        return {
            name
            for name, began in conns.items()
            if began and name in rolled_back and name not in nested
        }

    def engine_call(self, expr: ast.AST, env: dict[str, str], attrs: tuple[str, ...]) -> bool:
        if isinstance(expr, ast.Await):
            expr = expr.value
        if not (
            isinstance(expr, ast.Call)
            and isinstance(expr.func, ast.Attribute)
            and expr.func.attr in attrs
        ):
            return False
        receiver = expr.func.value
        typ = self.ctx.types.type_of(receiver, self._mod, env)
        if typ in _ENGINE_TYPES:
            return True
        name = dotted(receiver) or ""
        return typ is None and "engine" in name.rsplit(".", 1)[-1].lower()

    def legacy_recipe(self, own: list[ast.AST]) -> bool:
        """The 1.4 recipe: a session-level SAVEPOINT restarted by an after_transaction_end hook."""
        nested = any(
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr == "begin_nested"
            for n in own
        )
        if not nested:
            return False
        source = self.ctx.source.text
        return "after_transaction_end" in source

    # -- the session --
    def check_session(self, call: ast.Call, in_tx: set[str]) -> None:
        project, mod = self.ctx.project, self.ctx.module
        kind = session_construct_kind(project, call, mod)
        calls = [call]
        if kind is None:
            factory = factory_call_of(project, call, mod)
            if factory is not None:
                calls.append(factory[0])
                kind = "session factory"
            elif isinstance(call.func, ast.Attribute) and call.func.attr == "configure":
                kind = "sessionmaker.configure"
                fake = ast.Call(func=call.func.value, args=[], keywords=[])
                owner = factory_call_of(project, fake, mod)
                if owner is not None:
                    calls.append(owner[0])  # the sessionmaker may carry the join mode
            else:
                return
        bind = kwarg(call, "bind") if kind == "sessionmaker.configure" else bind_arg(call)
        if not (isinstance(bind, ast.Name) and bind.id in in_tx):
            return
        for candidate in calls:
            if has_star_kwargs(candidate):
                return
            mode = kwarg(candidate, "join_transaction_mode")
            if mode is None:
                continue
            if not (isinstance(mode, ast.Constant) and mode.value == "conservative_savepoint"):
                return  # create_savepoint, or another mode chosen on purpose
        version = project.version("sqlalchemy", mod)
        what = dotted(call.func) or kind
        if version.at_least(2, 0):
            self.report(
                call,
                f"`{what}(...)` binds a session to `{bind.id}`, a connection inside the test's "
                'outer transaction, without `join_transaction_mode="create_savepoint"` '
                f"(SQLAlchemy {version.describe()}): with the default join mode a "
                "`session.rollback()` (the app's error path, a test expecting IntegrityError) "
                "rolls back the outer transaction itself, so later statements in the test run "
                "outside the isolation and their commits persist into other tests; pass "
                '`join_transaction_mode="create_savepoint"`',
            )
        else:
            self.report(
                call,
                f"`{what}(...)` binds a session to `{bind.id}`, a connection inside the test's "
                f"outer transaction, with no SAVEPOINT (SQLAlchemy {version.describe()}): the "
                "session's `rollback()` ends the outer transaction (and with legacy settings "
                "`commit()` escapes it too), so the per-test rollback no longer isolates; start "
                "`session.begin_nested()` and restart it from an `after_transaction_end` "
                "listener (the 1.4 recipe), or upgrade and pass "
                '`join_transaction_mode="create_savepoint"`',
            )


def _begun_on(expr: ast.AST, conns: dict[str, bool]) -> str | None:
    """``conn.begin()`` (awaited or not) on one of ``conns``: that connection's name."""
    if isinstance(expr, ast.Await):
        expr = expr.value
    if (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == "begin"
        and isinstance(expr.func.value, ast.Name)
        and expr.func.value.id in conns
    ):
        return expr.func.value.id
    return None
