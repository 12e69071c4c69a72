"""LD603: a test calls a route handler directly instead of sending a request through a client."""

from __future__ import annotations

import ast

from loopdoctor.diagnostic import FixSafety, Severity
from loopdoctor.metadata.fastapi_app import Route, marker_params, route_of
from loopdoctor.project import ProjectIndex
from loopdoctor.rule import TEST_FILE, Rule


class DirectEndpointCall(Rule):
    code = "LD603"
    name = "direct-endpoint-call"
    severity = Severity.WARNING
    summary = (
        "A test calls a route handler directly: dependencies, validation, serialisation and "
        "the app's middleware are bypassed."
    )
    fix_safety = FixSafety.NONE
    tokens = (b"import",)
    requires = ((TEST_FILE,),)  # calls in tests

    def visit_Call(self, node: ast.Call) -> None:
        owner = self.ctx.enclosing_function(node)
        if owner is None or not owner.is_test:
            return
        func = node.func
        root = func
        while isinstance(root, ast.Attribute):
            root = root.value
        if isinstance(root, ast.Name) and self.ctx.is_locally_bound(root.id, node):
            return
        if not isinstance(func, ast.Name | ast.Attribute):
            return
        found = self.ctx.project.resolve_expr(func, self.ctx.module)
        if found is None or found.function is None:
            return
        route = route_of(self.ctx.project, found.function, found.module)
        if route is None or shadowed(self.ctx.project, route):
            return
        if self.declared_for_coverage(owner.node, node):
            return
        self.report_call(node, route)

    def declared_for_coverage(self, test: ast.AST, call: ast.Call) -> bool:
        """The test says the direct call only runs the handler's lines ("for coverage"): in its
        name, or in a comment on its ``def`` line or the call's line."""
        if "coverage" in getattr(test, "name", "").lower():
            return True
        lines = self.ctx.source.lines
        for number in {getattr(test, "lineno", 0), call.lineno}:
            text = lines[number - 1] if 0 < number <= len(lines) else ""
            comment = text.partition("#")[2]
            if "coverage" in comment.lower():
                return True
        return False

    def report_call(self, node: ast.Call, route: Route) -> None:
        verb = "awaits" if isinstance(self.ctx.parent(node), ast.Await) else "calls"
        endpoint = endpoint_label(route)
        where = f"{route.module.path.name}:{route.handler.line}"
        unfilled = self.unfilled(node, route)
        if unfilled:
            name, default = unfilled
            self.report(
                node,
                f"the test {verb} route handler `{route.handler.name}` ({endpoint}, {where}) "
                f"directly and does not pass `{name}`: it receives the `{default}` marker object "
                "itself, not the value FastAPI would inject, so the handler fails or tests the "
                "wrong thing; send the request through the test client (use "
                "`app.dependency_overrides` for fakes)",
                severity=Severity.ERROR,
            )
            return
        self.report(
            node,
            f"the test {verb} route handler `{route.handler.name}` ({endpoint}, {where}) "
            "directly: routing, request validation, dependencies, response_model filtering, "
            "status codes and exception handlers are skipped, so the API is not what is tested; "
            "send the request through the test client",
        )

    def unfilled(self, node: ast.Call, route: Route) -> tuple[str, str] | None:
        markers = marker_params(self.ctx.project, route)
        if not markers:
            return None
        if any(isinstance(a, ast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords
        ):
            return None
        handler_args = route.handler.node.args
        positional = [a.arg for a in [*handler_args.posonlyargs, *handler_args.args]]
        if positional and positional[0] in ("self", "cls"):
            positional = positional[1:]
        passed = set(positional[: len(node.args)]) | {k.arg for k in node.keywords if k.arg}
        for name, default in markers.items():
            if name not in passed:
                return name, default
        return None


def shadowed(project: ProjectIndex, route: Route) -> bool:
    """An earlier handler on the same app has the same method and path: this one is unreachable.

    FastAPI/Starlette match the first registered route, so no request ever reaches the
    handler; calling it directly is the only way a test can run its body.
    """
    if route.path is None:
        return False
    for other in list(route.module.functions.values()):
        if other is route.handler or other.line >= route.handler.line:
            continue
        if not any(isinstance(d, ast.Call) for d in other.node.decorator_list):
            continue
        earlier = route_of(project, other, route.module)
        if (
            earlier is not None
            and earlier.app.call is route.app.call
            and earlier.method == route.method
            and earlier.path == route.path
        ):
            return True
    return False


def endpoint_label(route: Route) -> str:
    """``POST /items/`` from the decorator, the router prefix and ``methods=[...]``."""
    prefix = ""
    for keyword in route.app.call.keywords:
        if keyword.arg == "prefix" and isinstance(keyword.value, ast.Constant):
            prefix = str(keyword.value.value)
    path = f"{prefix}{route.path or ''}" or "?"
    method = route.method
    if method in ("add_api_route", "add_route", "api_route", "route", "add_api_websocket_route"):
        method = "route"
    return f"{method.upper()} {path}"
