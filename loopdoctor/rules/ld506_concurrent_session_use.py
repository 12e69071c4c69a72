"""LD506: one AsyncSession used by several coroutines at once.

An AsyncSession is not safe for concurrent use. What fails depends on the state (runtime-facts
§3): a fresh session raises "This session is provisioning a new connection; concurrent
operations are not permitted", concurrent add()/commit() raise IllegalStateChangeError and can
leave a connection holding locks, while two plain ``execute()`` calls on an already-connected
asyncpg session happen to pass because SQLAlchemy's adapter serialises them.
"""

from __future__ import annotations

import ast

from loopdoctor.astwalk import walk
from loopdoctor.diagnostic import Severity
from loopdoctor.index.extract import dotted, iter_own_nodes
from loopdoctor.knowledge import ASYNC_SESSION, canonical
from loopdoctor.rule import Rule

_GATHERS = frozenset({"asyncio.gather", "asyncio.wait", "asyncio.as_completed"})
_SPAWNS = frozenset({"asyncio.create_task", "asyncio.ensure_future"})
_SPAWN_ATTRS = frozenset({"create_task", "start_soon", "ensure_future"})
_WRITE_METHODS = frozenset({"add", "add_all", "commit", "flush", "merge", "delete", "refresh"})
_LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.comprehension)


class ConcurrentSessionUse(Rule):
    code = "LD506"
    name = "concurrent-session-use"
    severity = Severity.ERROR
    summary = "One AsyncSession is used by several coroutines at once (gather, tasks)."
    tokens = (b"gather", b"create_task", b"start_soon", b"ensure_future", b"wait(")

    def visit_Call(self, node: ast.Call) -> None:
        name = canonical(self.ctx.qualify(node.func))
        if name not in _GATHERS:
            return
        sessions = self.session_names(node)
        if not sessions:
            return
        uses: dict[str, list[ast.AST]] = {}
        args = list(node.args)
        if name != "asyncio.gather" and args:
            first = args[0]
            args = list(first.elts) if isinstance(first, ast.List | ast.Tuple | ast.Set) else []
            if isinstance(node.args[0], ast.ListComp | ast.GeneratorExp | ast.SetComp):
                args = [ast.Starred(value=node.args[0], ctx=ast.Load())]
        for arg in args:
            if isinstance(arg, ast.Starred):
                for elt in self.starred_work(arg.value, node):
                    for sess in self.used(elt, sessions):
                        uses.setdefault(sess, []).append(elt)
                continue
            for sess in self.used(arg, sessions):
                uses.setdefault(sess, []).append(arg)
        for sess, calls in uses.items():
            if len(calls) >= 2:
                how = f"`{dotted(node.func) or name}(...)`"
                self.report(node, self.message(sess, how, calls))
                return

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        """Tasks: ``create_task(f(session))`` twice, in a loop, or in a TaskGroup."""
        if not isinstance(node, ast.AsyncFunctionDef):
            return
        spawns: dict[str, list[ast.Call]] = {}
        sessions: set[str] | None = None
        calls = sorted(
            (n for n in iter_own_nodes(node) if isinstance(n, ast.Call) and self.is_spawn(n)),
            key=lambda n: (n.lineno, n.col_offset),
        )
        for call in calls:
            if sessions is None:
                sessions = self.session_names(call)
                if not sessions:
                    return
            work: list[ast.AST] = list(call.args) + [k.value for k in call.keywords]
            for sess in {s for arg in work for s in self.used(arg, sessions)}:
                spawns.setdefault(sess, []).append(call)
                if self.in_loop(call, node):
                    spawns[sess].append(call)
        for sess, spawned in spawns.items():
            if len(spawned) >= 2:
                first = spawned[0]
                how = f"`{dotted(first.func) or 'create_task'}(...)`" + (
                    " in a loop" if spawned[1] is first else f" {len(spawned)} times"
                )
                inner = [c.args[0] for c in spawned if c.args]
                self.report(first, self.message(sess, how, inner))
                return

    visit_AsyncFunctionDef = visit_FunctionDef

    # -- helpers ---------------------------------------------------------------------------------
    def is_spawn(self, call: ast.Call) -> bool:
        name = canonical(self.ctx.qualify(call.func))
        if name in _SPAWNS:
            return True
        return isinstance(call.func, ast.Attribute) and call.func.attr in _SPAWN_ATTRS

    def session_names(self, node: ast.AST) -> set[str]:
        """Names in scope at ``node`` whose value is an AsyncSession."""
        ctx = self.ctx
        func = ctx.enclosing_function(node)
        if func is None:
            return set()
        env = ctx.env(func)
        return {k for k, v in env.items() if v == ASYNC_SESSION}

    def used(self, expr: ast.AST, sessions: set[str]) -> set[str]:
        """Sessions a concurrent unit of work touches: receiver or argument of its call."""
        found: set[str] = set()
        for sub in walk(expr):
            if isinstance(sub, ast.Name) and sub.id in sessions and isinstance(sub.ctx, ast.Load):
                found.add(sub.id)
        return found

    def starred_work(self, expr: ast.AST, at: ast.AST) -> list[ast.AST]:
        """Units of work in ``gather(*X)``: a comprehension's element counts twice (it repeats),
        as does an element appended to a list inside a loop."""
        comp = self.comprehension_of(expr, at)
        if comp is not None:
            return [comp.elt, comp.elt]
        owner = self.ctx.enclosing_def(at)
        if not isinstance(expr, ast.Name) or owner is None:
            return []
        work: list[ast.AST] = []
        for node in iter_own_nodes(owner):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "append"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == expr.id
                and node.args
            ):
                work.append(node.args[0])
                if self.in_loop(node, owner):
                    work.append(node.args[0])
            elif (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == expr.id for t in node.targets)
                and isinstance(node.value, ast.List | ast.Tuple)
            ):
                work.extend(node.value.elts)
        return work

    def comprehension_of(
        self, expr: ast.AST, at: ast.AST
    ) -> ast.ListComp | ast.GeneratorExp | ast.SetComp | None:
        if isinstance(expr, ast.ListComp | ast.GeneratorExp | ast.SetComp):
            return expr
        if isinstance(expr, ast.Name):
            owner = self.ctx.enclosing_def(at)
            if owner is None:
                return None
            for node in iter_own_nodes(owner):
                if (
                    isinstance(node, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == expr.id for t in node.targets)
                    and isinstance(node.value, ast.ListComp | ast.GeneratorExp)
                ):
                    return node.value
        return None

    def in_loop(self, node: ast.AST, stop: ast.AST) -> bool:
        for ancestor in self.ctx.ancestors(node):
            if ancestor is stop:
                return False
            if isinstance(ancestor, (*_LOOPS, ast.ListComp, ast.GeneratorExp)):
                return True
        return False

    def message(self, session: str, how: str, work: list[ast.AST]) -> str:
        methods = set()
        direct = True
        for expr in work:
            call = expr.value if isinstance(expr, ast.Await) else expr
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and isinstance(call.func.value, ast.Name)
                and call.func.value.id == session
            ):
                methods.add(call.func.attr)
            else:
                direct = False
        if direct and methods and not methods & _WRITE_METHODS:
            detail = (
                "on a session that has not connected yet this raises `InvalidRequestError: This "
                "session is provisioning a new connection; concurrent operations are not "
                "permitted`; on an already-connected asyncpg session the adapter happens to "
                "serialise plain `execute()` calls, so it may pass, but SQLAlchemy does not "
                "support it and other drivers or ORM work fail"
            )
        else:
            detail = (
                "a fresh session fails with 'This session is provisioning a new connection; "
                "concurrent operations are not permitted', and concurrent add()/commit()/flush() "
                "fail with `IllegalStateChangeError: Method 'commit()' can't be called here; "
                "method '_prepare_impl()' is already in progress`, after which the session "
                "cannot close and its connection may keep locks that hang the next test's "
                "teardown"
            )
        return (
            f"AsyncSession `{session}` is used by several coroutines at once through {how}: "
            f"an AsyncSession is not safe for concurrent use; {detail}; give each task its own "
            "session (`async with sessionmaker() as s:` inside the task), or await the calls "
            "one after another"
        )
