"""LD501: a pooled async engine that outlives the event loop that uses it."""

from __future__ import annotations

import ast

from loopdoctor.diagnostic import Severity
from loopdoctor.metadata.engines import analyse_engine, engine_site
from loopdoctor.rule import Rule


class PooledEngineAcrossLoops(Rule):
    code = "LD501"
    name = "pooled-engine-across-loops"
    severity = Severity.ERROR
    summary = (
        "A pooled async engine outlives the event loop that uses it (connections cross loops)."
    )
    tokens = (b"create_async_engine",)

    def visit_Call(self, node: ast.Call) -> None:
        project = self.ctx.project
        site = engine_site(project, node, self.ctx.module)
        if site is None:
            return
        analysis = analyse_engine(project, site)
        if analysis is None or not analysis.crosses_loops:
            return
        users = analysis.conflicting()
        tests = [c for c in users if c.test is not None]
        names = ", ".join(f"`{c.test.name}`" for c in tests[:3])
        more = f" and {len(tests) - 3} more" if len(tests) > 3 else ""
        home = analysis.home
        if home.kind == "fixture" and home.fixture is not None:
            fixture = home.fixture
            where = f"created in {fixture.info.scope}-scoped fixture `{fixture.name}`" + (
                f" (its own loop: {project.fixture_loop_scope(fixture)} scope)"
                if analysis.fixture_loop
                else ""
            )
        else:
            where = "created at module level, so it lives for the whole test session"
        scopes = sorted({c.loop_scope for c in tests})
        related = [
            self.related(
                c.test.node,
                f"`{c.test.name}` uses it via {c.via} on a {c.loop_scope}-scoped loop",
                c.module.path,
            )
            for c in tests[:3]
        ]
        self.report(
            node,
            f"pooled async engine ({analysis.verdict.description}) {where}, but it is used on "
            f"different event loops by {names}{more} ({'/'.join(scopes)} loop scope): "
            f"{self.consequence(analysis.verdict.contention_only)}; create it with "
            "`poolclass=NullPool` for tests, or run its users on one loop "
            '(`loop_scope="session"`)',
            related=related,
        )

    @staticmethod
    def consequence(contention_only: bool) -> str:
        if contention_only:
            return (
                "its pool's queue binds to the first loop that waits on it, so as soon as two "
                "connections are checked out at once a later test fails with '... is bound to a "
                "different event loop'"
            )
        return (
            "a pooled connection stays bound to the loop that opened it, so the next test fails "
            "with 'attached to a different loop', then 'another operation is in progress'"
        )
