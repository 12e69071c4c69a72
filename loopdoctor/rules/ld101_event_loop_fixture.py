"""LD101: a user-defined ``event_loop`` fixture (removed in pytest-asyncio 1.0)."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from loopdoctor.astwalk import walk
from loopdoctor.context import FileContext
from loopdoctor.diagnostic import FixSafety, Severity
from loopdoctor.rule import Rule

if TYPE_CHECKING:
    from loopdoctor.fixes import Edit, FixSite

#: Calls that make or fetch a loop, and the loop plumbing a stock ``event_loop`` fixture does.
_LOOP_MAKERS = frozenset({"new_event_loop", "get_event_loop", "get_event_loop_policy"})
_LOOP_PLUMBING = frozenset({"set_event_loop", "close", "run_until_complete", "shutdown_asyncgens"})


class EventLoopFixture(Rule):
    code = "LD101"
    name = "event-loop-fixture"
    severity = Severity.ERROR
    summary = (
        "A user-defined `event_loop` fixture: deprecated in pytest-asyncio 0.23, removed in 1.0."
    )
    #: Unsafe: a wider-scoped loop goes away (its users get pytest-asyncio's loops) and the
    #: comments above the fixture go with it.
    fix_safety = FixSafety.UNSAFE
    tokens = (b"event_loop",)

    @classmethod
    def fix(cls, site: FixSite) -> Edit | None:
        """Delete the fixture (the rule checked it only creates, sets and closes a loop)."""
        import libcst as cst

        func = site.reported_def()
        if func is None:
            return None
        block = site.parent(func)
        if isinstance(block, cst.IndentedBlock) and block.body[0] is func and len(block.body) > 1:
            # First in a class body: the next method must not start with the blank line it had.
            after = block.body[1]
            lines = list(after.leading_lines)
            while lines and lines[0].comment is None:
                lines.pop(0)
            body = [after.with_changes(leading_lines=lines), *block.body[2:]]
            return site.replace(block, block.with_changes(body=body))
        return site.remove(func)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        func = self.ctx.function_info(node)
        if func is None or func.fixture is None or func.fixture.name != "event_loop":
            return
        if plain_loop_fixture_module(self.ctx):
            return
        self.report(
            node, self.message(func.fixture.scope), at_name=True, fixable=self.removable(node)
        )

    def removable(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        """Only loop plumbing, not the last statement of a class, and nobody asks for it."""
        parent = self.ctx.parent(node)
        if isinstance(parent, ast.ClassDef) and len(parent.body) == 1:
            return False
        body = node.body
        if body and _is_docstring(body[0]):
            body = body[1:]
        return all(_plumbing(stmt) for stmt in body) and not self.requested(node)

    def requested(self, fixture: ast.AST) -> bool:
        """A parameter, ``usefixtures("event_loop")`` or ``getfixturevalue`` anywhere indexed."""
        own = {id(n) for d in getattr(fixture, "decorator_list", []) for n in walk(d)}
        for mod in self.ctx.project.scan((b"event_loop",)):
            if any("event_loop" in f.params for f in mod.functions.values()):
                return True
            for node in walk(mod.tree):
                if (
                    isinstance(node, ast.Constant)
                    and node.value == "event_loop"
                    and id(node) not in own
                    and not _names_a_fixture(node)
                ):
                    return True
        return False

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Assign(self, node: ast.Assign) -> None:
        """``event_loop = pytest.fixture(scope="session")(make_loop)``."""
        if not any(isinstance(t, ast.Name) and t.id == "event_loop" for t in node.targets):
            return
        if self.ctx.enclosing_def(node) is not None:
            return
        value = node.value
        if not (isinstance(value, ast.Call) and value.args):
            return
        decorator = value.func
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if self.ctx.qualify(target) in ("pytest.fixture", "pytest_asyncio.fixture"):
            scope = "function"
            if isinstance(decorator, ast.Call):
                for kw in decorator.keywords:
                    if kw.arg == "scope" and isinstance(kw.value, ast.Constant):
                        scope = str(kw.value.value)
            # The loop factory is defined elsewhere: removing this is not certainly harmless.
            self.report(node.targets[0], self.message(scope), fixable=False)

    def message(self, scope: str) -> str:
        version = self.ctx.project.asyncio_env(self.ctx.module).version
        if version.at_least(1, 0):
            effect = (
                f"{version.describe()} ignores it silently: tests and async fixtures run on "
                "pytest-asyncio's own loops, not this one"
            )
        elif version.at_least(0, 23):
            effect = (
                f"{version.describe()} deprecates overriding it and 1.0 removes it, after which "
                "it is silently ignored"
            )
        else:
            effect = (
                f"{version.describe()} still uses it, but pytest-asyncio 1.0 removes it and "
                "ignores it silently"
            )
        if scope in ("session", "package", "module", "class"):
            cross = (
                f"; a {scope}-scoped loop was meant to be shared, so objects created on it "
                "(engines, pools, clients) end up 'attached to a different loop' once each test "
                f'gets its own loop. Set loop_scope="{scope}" on the tests and fixtures that must '
                "share a loop instead"
            )
        else:
            cross = "; delete it and let pytest-asyncio own the loop"
        return f"custom `event_loop` fixture ({scope} scope): {effect}{cross}"


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)


def _callee(call: ast.AST) -> str | None:
    if not isinstance(call, ast.Call):
        return None
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def _plumbing(stmt: ast.stmt) -> bool:
    """``loop = asyncio.new_event_loop()``, ``asyncio.set_event_loop(loop)``, ``yield loop``,
    ``loop.close()`` and the like, possibly inside ``try``/``finally``: nothing a test relies on.
    """
    if isinstance(stmt, ast.Assign):
        return all(isinstance(t, ast.Name) for t in stmt.targets) and (
            _callee(stmt.value) in _LOOP_MAKERS
        )
    if isinstance(stmt, ast.Expr):
        value = stmt.value
        if isinstance(value, ast.Yield):
            return value.value is None or isinstance(value.value, ast.Name)
        return _callee(value) in _LOOP_PLUMBING and all(
            isinstance(a, ast.Name | ast.Constant) or _callee(a) in _LOOP_PLUMBING
            for a in getattr(value, "args", [])
        )
    if isinstance(stmt, ast.Return):
        return stmt.value is None or isinstance(stmt.value, ast.Name)
    if isinstance(stmt, ast.Try) and not stmt.handlers and not stmt.orelse:
        return all(_plumbing(s) for s in [*stmt.body, *stmt.finalbody])
    return False


def _names_a_fixture(node: ast.AST) -> bool:
    """``name="event_loop"`` in a fixture decorator defines the fixture, it does not request it."""
    parent = FileContext.parent(node)
    return isinstance(parent, ast.keyword) and parent.arg == "name"


def plain_loop_fixture_module(ctx: FileContext) -> bool:
    """pytest-asyncio >= 1.0 and a test module with no async test or fixture: an ``event_loop``
    fixture there is a plain loop for sync tests (benchmarks), which the plugin never sees."""
    module = ctx.module
    if module.is_conftest or not ctx.project.asyncio_env(module).version.at_least(1, 0):
        return False
    return not any(
        f.is_async and (f.is_test or f.fixture is not None) for f in module.functions.values()
    )
