"""LD601: ``httpx.AsyncClient(app=...)``, deprecated in httpx 0.27 and removed in 0.28."""

from __future__ import annotations

import ast

from loopdoctor.diagnostic import FixSafety, Severity
from loopdoctor.knowledge import canonical
from loopdoctor.rule import Rule

CLIENTS = {
    "httpx.AsyncClient": ("ASGITransport", "AsyncClient"),
    "httpx.Client": ("WSGITransport", "Client"),
}


class AsyncClientAppShortcut(Rule):
    code = "LD601"
    name = "asyncclient-app-shortcut"
    severity = Severity.ERROR
    summary = "`httpx.AsyncClient(app=...)` was deprecated in httpx 0.27 and removed in 0.28."
    fix_safety = FixSafety.NONE
    tokens = (b"app=", b"app =")

    def visit_Call(self, node: ast.Call) -> None:
        app = next((k for k in node.keywords if k.arg == "app"), None)
        if app is None:
            return
        func = node.func
        if isinstance(func, ast.Name) and self.ctx.is_locally_bound(func.id, node):
            return
        qualname = canonical(self.ctx.qualify(func))
        if qualname not in CLIENTS:
            return
        transport, cls = CLIENTS[qualname]
        version = self.ctx.project.version("httpx", self.ctx.module)
        assumed = version.describe()
        fix = f"pass `transport=httpx.{transport}(app={ast.unparse(app.value)})` instead"
        if version.at_least(0, 28):
            self.report(
                node,
                f"`{cls}(app=...)` was removed in httpx 0.28: with {assumed} this raises "
                f"TypeError (unexpected keyword argument 'app') and every test using this "
                f"client errors; {fix}",
            )
        elif version.at_least(0, 27):
            self.report(
                node,
                f"`{cls}(app=...)` is deprecated since httpx 0.27 ({assumed}: DeprecationWarning, "
                f"an error under `-W error`) and removed in 0.28; {fix}",
                severity=Severity.WARNING,
            )
        else:
            self.report(
                node,
                f"`{cls}(app=...)` still works with {assumed}, but it is deprecated in httpx "
                f"0.27 and removed in 0.28, so upgrading httpx breaks these tests; {fix}",
                severity=Severity.WARNING,
            )
