"""LD103: test code that gets, creates, sets or drives an event loop by hand."""

from __future__ import annotations

import ast

from loopdoctor.astwalk import walk
from loopdoctor.context import FileContext
from loopdoctor.diagnostic import Severity
from loopdoctor.index.extract import dotted
from loopdoctor.metadata.loops import (
    anyio_or_trio_project,
    foreign_test_base,
    is_test_code,
    pytest_asyncio_active,
    test_runner,
)
from loopdoctor.rule import Rule
from loopdoctor.rules.ld101_event_loop_fixture import plain_loop_fixture_module

LOOP_CALLS = {
    "asyncio.get_event_loop": "get",
    "asyncio.new_event_loop": "new",
    "asyncio.set_event_loop": "set",
    "uvloop.new_event_loop": "new",
}
#: The same three, called on the policy: ``asyncio.get_event_loop_policy().new_event_loop()``.
POLICY_METHODS = {"get_event_loop": "get", "new_event_loop": "new", "set_event_loop": "set"}
#: Fixtures whose whole point is a loop or a policy: LD101 covers ``event_loop``.
_LOOP_FIXTURES = frozenset({"event_loop", "event_loop_policy"})


class ManualLoopInTests(Rule):
    code = "LD103"
    name = "manual-loop-in-tests"
    severity = Severity.WARNING
    summary = (
        "`asyncio.get_event_loop()`/`new_event_loop()`/`set_event_loop()`/"
        "`loop.run_until_complete()` in tests run by pytest-asyncio."
    )
    tokens = (b"_event_loop", b"run_until_complete")

    def visit_Call(self, node: ast.Call) -> None:
        ctx = self.ctx
        kind = self.kind(node)
        if kind is None or not is_test_code(ctx.module):
            return
        if not self.in_scope(node):
            return
        if not pytest_asyncio_active(ctx.project, ctx.module):
            return
        if kind == "run" and _runs_on_own_plain_loop(ctx, node):
            return
        in_async = isinstance(ctx.enclosing_def(node), ast.AsyncFunctionDef)
        severity = None
        if kind == "get":
            if in_async:
                msg = (
                    "`asyncio.get_event_loop()` inside a coroutine: use "
                    "`asyncio.get_running_loop()`, which cannot silently hand out another loop"
                )
            else:
                msg = (
                    "`asyncio.get_event_loop()` outside a running loop returns whichever loop "
                    "pytest-asyncio's runner last set (or none: DeprecationWarning on Python "
                    "3.12+, RuntimeError on 3.14), not the loop your async fixtures run on; "
                    "make the test `async def` and let pytest-asyncio own the loop"
                )
        elif kind == "new":
            msg = (
                "`asyncio.new_event_loop()` in test code makes a second loop: values from async "
                "fixtures are bound to pytest-asyncio's loop ('attached to a different loop'), "
                "and a loop that is not closed leaks; make the test `async def` and let "
                "pytest-asyncio own the loop"
            )
        elif kind == "set":
            msg = (
                "`asyncio.set_event_loop()` in test code swaps the current loop behind "
                "pytest-asyncio's back: later tests and fixtures can get a closed or foreign "
                "loop; let pytest-asyncio own the loop (set `loop_scope` to share one)"
            )
        elif in_async:
            severity = Severity.ERROR
            msg = (
                "`run_until_complete()` inside a coroutine that pytest-asyncio is already "
                "running raises RuntimeError ('This event loop is already running' / 'Cannot "
                "run the event loop while another loop is running'); `await` the coroutine"
            )
        else:
            msg = (
                "`run_until_complete()` drives a coroutine on a hand-managed loop: async "
                "fixtures' values belong to pytest-asyncio's loop, and the loop's tasks are "
                "never cleaned up; make the test `async def` with an asyncio marker and `await`"
            )
        self.report(node, msg, severity=severity)

    def kind(self, node: ast.Call) -> str | None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "run_until_complete":
            return "run"
        if (
            isinstance(func, ast.Attribute)
            and func.attr in POLICY_METHODS
            and isinstance(func.value, ast.Call)
            and self.ctx.qualify(func.value.func) == "asyncio.get_event_loop_policy"
        ):
            return POLICY_METHODS[func.attr]
        name = dotted(func)
        if name is None:
            return None
        head = name.split(".")[0]
        if self.ctx.is_locally_bound(head, node):
            return None
        kind = LOOP_CALLS.get(self.ctx.qualify(func) or "")
        if kind == "get":
            # ``asyncio.get_event_loop().run_until_complete(...)``: report the outer call once.
            parent = self.ctx.parent(node)
            grand = self.ctx.parent(parent) if parent is not None else None
            if (
                isinstance(parent, ast.Attribute)
                and parent.attr == "run_until_complete"
                and isinstance(grand, ast.Call)
            ):
                return None
        return kind

    def in_scope(self, node: ast.Call) -> bool:
        """Tests, fixtures, test-class methods and module level; not hooks or loop fixtures."""
        ctx = self.ctx
        owner = ctx.enclosing_function(node)
        if owner is None:
            if ctx.enclosing_def(node) is not None:
                return False  # a nested or unindexed def we know nothing about
            return not any(isinstance(a, ast.Lambda) for a in ctx.ancestors(node))
        if _runs_in_a_thread(ctx.enclosing_def(node), owner.node):
            return False  # a loop of the thread's own: pytest-asyncio's loop is not touched
        if owner.fixture is not None:
            if owner.fixture.name in _LOOP_FIXTURES or owner.name in _LOOP_FIXTURES:
                return False
            anyio = anyio_or_trio_project(ctx.project, ctx.module)
            return not (anyio and owner.fixture.kind == "pytest")
        if owner.name.startswith("pytest_"):
            return False
        if owner.class_name is not None:
            if foreign_test_base(ctx.project, owner, ctx.module):
                return False
            cls = ctx.module.classes.get(owner.class_name)
            if cls is None or not cls.is_test_class:
                return False
        if owner.is_test:
            if owner.is_async:
                return test_runner(ctx.project, owner, ctx.module) == "asyncio"
            return True
        return owner.class_name is not None and owner.name in (
            "setup_method",
            "teardown_method",
            "setup_class",
            "teardown_class",
            "setup",
            "teardown",
        )


#: Calls that run the function they are handed in another thread.
_THREAD_RUNNERS = frozenset(
    {"Thread", "to_thread", "run_in_executor", "submit", "start_new_thread", "run_sync"}
)


def _runs_in_a_thread(inner: ast.AST | None, outer: ast.AST) -> bool:
    """``inner`` is a def nested in ``outer`` that ``outer`` hands to a thread to run."""
    if inner is None or inner is outer or not isinstance(inner, ast.FunctionDef):
        return False
    for node in walk(outer):
        if not isinstance(node, ast.Call):
            continue
        callee = dotted(node.func) or ""
        if callee.rsplit(".", 1)[-1] not in _THREAD_RUNNERS:
            continue
        passed = [*node.args, *(k.value for k in node.keywords if k.arg in (None, "target"))]
        if any(isinstance(a, ast.Name) and a.id == inner.name for a in passed):
            return True
    return False


def _runs_on_own_plain_loop(ctx: FileContext, node: ast.Call) -> bool:
    """``event_loop.run_until_complete(...)`` on the plain loop fixture this module defines,
    in a sync-only module under pytest-asyncio >= 1.0: a loop the module makes and closes."""
    receiver = node.func.value if isinstance(node.func, ast.Attribute) else None
    if not (isinstance(receiver, ast.Name) and receiver.id == "event_loop"):
        return False
    owns = any(
        f.fixture is not None and f.fixture.name == "event_loop"
        for f in ctx.module.functions.values()
    )
    return owns and plain_loop_fixture_module(ctx)
