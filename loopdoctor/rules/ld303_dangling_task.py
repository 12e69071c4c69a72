"""LD303: a task or executor future created in a test or fixture and then dropped."""

from __future__ import annotations

import ast

from loopdoctor.astwalk import walk
from loopdoctor.diagnostic import FixSafety, Severity
from loopdoctor.index.extract import iter_own_nodes
from loopdoctor.knowledge import canonical
from loopdoctor.rule import Rule

#: Module-level spawners: qualified name -> what they return.
SPAWNERS = {
    "asyncio.create_task": "task",
    "asyncio.ensure_future": "task",
    "asyncio.tasks.create_task": "task",
    "asyncio.tasks.ensure_future": "task",
}
#: Loop methods that schedule work and return a task/future.
LOOP_SPAWNERS = {"create_task": "task", "run_in_executor": "executor future"}
#: Calls that return the (or a) event loop.
LOOP_GETTERS = frozenset(
    {
        "asyncio.get_running_loop",
        "asyncio.get_event_loop",
        "asyncio.new_event_loop",
        "asyncio.events.get_running_loop",
        "asyncio.events.get_event_loop",
        "asyncio.events.new_event_loop",
    }
)


class DanglingTask(Rule):
    code = "LD303"
    name = "dangling-task"
    severity = Severity.WARNING
    summary = "A task/executor future created in a test or fixture is dropped, never awaited."
    fix_safety = FixSafety.NONE
    tokens = (b"create_task", b"ensure_future", b"run_in_executor")

    def visit_Call(self, node: ast.Call) -> None:
        kind = self.spawn_kind(node)
        if kind is None:
            return
        owner = self.ctx.enclosing_function(node)
        if owner is None or not (owner.is_test or owner.fixture is not None):
            return
        if not self.dropped(node):
            return
        where = "fixture" if owner.fixture is not None else "test"
        self.report(
            node,
            f"the {kind} created here is dropped: nothing awaits or cancels it, so its errors "
            f"are lost, the {where} does not wait for it (it may still run during later tests "
            "or be destroyed while pending: 'Task was destroyed but it is pending'), and the "
            "loop keeps only a weak reference to it; keep it and `await` it (or cancel it in "
            "teardown), or use `asyncio.TaskGroup`",
        )

    # -- what is spawned ---------------------------------------------------------------------------
    def spawn_kind(self, node: ast.Call) -> str | None:
        func = node.func
        if isinstance(func, ast.Name) and self.ctx.is_locally_bound(func.id, node):
            return None
        qualname = canonical(self.ctx.qualify(func))
        if qualname in SPAWNERS and not (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and self.ctx.is_locally_bound(func.value.id, node)
        ):
            return SPAWNERS[qualname]
        if (
            isinstance(func, ast.Attribute)
            and func.attr in LOOP_SPAWNERS
            and self.is_loop(func.value, node)
        ):
            return LOOP_SPAWNERS[func.attr]
        return None

    def is_loop(self, expr: ast.AST, at: ast.AST) -> bool:
        """``asyncio.get_running_loop()``, a local bound to one, or the ``event_loop`` fixture."""
        if isinstance(expr, ast.Call):
            return canonical(self.ctx.qualify(expr.func)) in LOOP_GETTERS
        if not isinstance(expr, ast.Name):
            return False
        owner = self.ctx.enclosing_function(at)
        scope = self.ctx.enclosing_def(at)
        if owner is not None and expr.id == "event_loop" and expr.id in owner.params:
            return True
        while scope is not None:
            for node in iter_own_nodes(scope):
                if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == expr.id for t in node.targets
                ):
                    value = node.value
                    if isinstance(value, ast.Call) and (
                        canonical(self.ctx.qualify(value.func)) in LOOP_GETTERS
                    ):
                        return True
            scope = self.ctx.enclosing_def(scope)
        return False

    # -- is the result kept? -----------------------------------------------------------------------
    def dropped(self, node: ast.Call) -> bool:
        parent = self.ctx.parent(node)
        if isinstance(parent, ast.Expr):
            return True
        if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
            target = parent.targets[0]
            if isinstance(target, ast.Name):
                return not self.used_later(parent, target.id)
        if isinstance(parent, ast.AnnAssign) and isinstance(parent.target, ast.Name):
            return not self.used_later(parent, parent.target.id)
        return False

    def used_later(self, assign: ast.stmt, name: str) -> bool:
        scope = self.ctx.enclosing_def(assign)
        if scope is None:
            return True
        for node in walk(scope):
            if (
                isinstance(node, ast.Name)
                and node.id == name
                and isinstance(node.ctx, ast.Load | ast.Del)
                and (node.lineno, node.col_offset) != (assign.lineno, assign.col_offset)
            ):
                return True
        return False
