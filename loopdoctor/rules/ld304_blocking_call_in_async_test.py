"""LD304: blocking calls (sleep, sync HTTP, TestClient, sync SQLAlchemy) in async tests/fixtures."""

from __future__ import annotations

import ast
import re

from loopdoctor.diagnostic import FixSafety, Severity
from loopdoctor.metadata.blocking import blocking_call, local_types
from loopdoctor.rule import Rule

_CONSEQUENCES = {
    "sleep": "it freezes the event loop for the whole delay, so nothing else (the app under "
    "test, background tasks, timeouts) makes progress",
    "http": "the request blocks the event loop until the server answers; an app served on the "
    "same loop can never answer it (deadlock or timeout)",
    "testclient": "the sync TestClient blocks the test's event loop while it runs the app on "
    "its own loop in another thread, so loop-bound fixtures (engines, sessions, clients) are "
    "used from a different loop ('attached to a different loop')",
    "database": "the sync database call blocks the event loop for every round trip",
}

#: flake8-async / ruff codes for the same finding: a noqa comment with one of them on the line
#: says the blocking is deliberate (e.g. sleeping past a deadline on purpose).
_EQUIVALENT_NOQA = {
    "sleep": ("ASYNC251",),
    "http": ("ASYNC210", "ASYNC212"),
}
_NOQA_CODES_RE = re.compile(r"#\s*noqa:\s*([A-Z0-9,\s]+)", re.IGNORECASE)


class BlockingCallInAsyncTest(Rule):
    code = "LD304"
    name = "blocking-call-in-async-test"
    severity = Severity.WARNING
    summary = (
        "`time.sleep`, `requests`, sync TestClient or sync SQLAlchemy work inside an async "
        "test or fixture blocks the event loop."
    )
    fix_safety = FixSafety.NONE
    tokens = (b"async",)

    def visit_Call(self, node: ast.Call) -> None:
        scope = self.ctx.enclosing_def(node)
        if not isinstance(scope, ast.AsyncFunctionDef):
            return
        info = self.ctx.function_info(scope)
        if info is None or not (info.is_test or info.fixture is not None):
            return
        env = self.env_for(scope, info)
        found = blocking_call(self.ctx, node, env)
        if found is None:
            return
        if self._foreign_noqa(node, found.kind):
            return
        where = "fixture" if info.fixture is not None else "test"
        self.report(
            node,
            f"`{found.what}` blocks inside `async def {info.name}` (an async {where}): "
            f"{_CONSEQUENCES[found.kind]}; use {found.instead}",
        )

    def _foreign_noqa(self, node: ast.Call, kind: str) -> bool:
        """The call's lines carry flake8-async's noqa code for this very blocking call."""
        codes = _EQUIVALENT_NOQA.get(kind)
        lines = self.ctx.source.lines
        last = getattr(node, "end_lineno", None) or node.lineno
        for line in range(node.lineno, min(last, len(lines)) + 1):
            match = _NOQA_CODES_RE.search(lines[line - 1])
            if codes and match and any(c in match.group(1).upper() for c in codes):
                return True
        return False

    def env_for(self, scope: ast.AsyncFunctionDef, info: object) -> dict[str, str]:
        cache = self.__dict__.setdefault("_envs", {})
        env = cache.get(id(scope))
        if env is None:
            env = local_types(self.ctx, scope, self.ctx.env(info))  # type: ignore[arg-type]
            cache[id(scope)] = env
        return env
