"""LD601: ``httpx.AsyncClient(app=...)``, deprecated in httpx 0.27 and removed in 0.28."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from loopdoctor.diagnostic import FixSafety, Severity
from loopdoctor.knowledge import canonical
from loopdoctor.rule import Rule

if TYPE_CHECKING:
    from loopdoctor.fixes import Edit, FixSite

CLIENTS = {
    "httpx.AsyncClient": ("ASGITransport", "AsyncClient"),
    "httpx.Client": ("WSGITransport", "Client"),
}


class AsyncClientAppShortcut(Rule):
    code = "LD601"
    name = "asyncclient-app-shortcut"
    severity = Severity.ERROR
    summary = "`httpx.AsyncClient(app=...)` was deprecated in httpx 0.27 and removed in 0.28."
    fix_safety = FixSafety.SAFE
    tokens = (b"app=", b"app =")

    @classmethod
    def fix(cls, site: FixSite) -> Edit | None:
        """``AsyncClient(app=x)`` -> ``AsyncClient(transport=ASGITransport(app=x))``."""
        import libcst as cst

        from loopdoctor.fixes import expression, keyword_arg

        call = site.node_of(cst.Call)
        if call is None or keyword_arg(call, "transport") is not None:
            return None
        app = keyword_arg(call, "app")
        qualname = canonical(site.qualify(call.func))
        if app is None or qualname not in CLIENTS:
            return None
        home, transport = qualname.rsplit(".", 1)[0], CLIENTS[qualname][0]
        # Mirror the client's spelling: `httpx.AsyncClient` -> `httpx.ASGITransport`.
        style = "module" if isinstance(call.func, cst.Attribute) else "name"
        ref = site.reference(home, transport, style=style)
        if ref is None:
            return None
        inner = cst.Call(
            func=expression(ref), args=[app.with_changes(comma=cst.MaybeSentinel.DEFAULT)]
        )
        new = app.with_changes(keyword=cst.Name("transport"), value=inner)
        args = [new if arg is app else arg for arg in call.args]
        return site.replace(call, call.with_changes(args=args))

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
        # A transport given too (or maybe inside **kwargs) would be passed twice.
        fixable = not any(k.arg in ("transport", None) for k in node.keywords)
        if version.at_least(0, 28):
            self.report(
                node,
                f"`{cls}(app=...)` was removed in httpx 0.28: with {assumed} this raises "
                f"TypeError (unexpected keyword argument 'app') and every test using this "
                f"client errors; {fix}",
                fixable=fixable,
            )
        elif version.at_least(0, 27):
            self.report(
                node,
                f"`{cls}(app=...)` is deprecated since httpx 0.27 ({assumed}: DeprecationWarning, "
                f"an error under `-W error`) and removed in 0.28; {fix}",
                severity=Severity.WARNING,
                fixable=fixable,
            )
        else:
            self.report(
                node,
                f"`{cls}(app=...)` still works with {assumed}, but it is deprecated in httpx "
                f"0.27 and removed in 0.28, so upgrading httpx breaks these tests; {fix}",
                severity=Severity.WARNING,
                fixable=fixable,
            )
