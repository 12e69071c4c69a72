"""LD501: a pooled async engine that outlives the event loop that uses it."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from loopdoctor.diagnostic import FixSafety, Severity
from loopdoctor.metadata.engines import analyse_engine, engine_site
from loopdoctor.rule import Rule

if TYPE_CHECKING:
    from loopdoctor.fixes import Edit, FixSite

#: Keywords only a queue pool accepts: with them, NullPool raises TypeError at engine creation.
_QUEUE_POOL_KWARGS = ("pool_size", "max_overflow", "pool_timeout", "pool_use_lifo")


class PooledEngineAcrossLoops(Rule):
    code = "LD501"
    name = "pooled-engine-across-loops"
    severity = Severity.ERROR
    summary = (
        "A pooled async engine outlives the event loop that uses it (connections cross loops)."
    )
    fix_safety = FixSafety.SAFE
    tokens = (b"create_async_engine",)

    @classmethod
    def fix(cls, site: FixSite) -> Edit | None:
        """``create_async_engine(url)`` -> ``create_async_engine(url, poolclass=NullPool)``."""
        import libcst as cst

        from loopdoctor.fixes import add_keyword, expression, keyword

        call = site.node_of(cst.Call)
        ref = site.reference(("sqlalchemy.pool", "sqlalchemy"), "NullPool")
        if call is None or ref is None:
            return None
        return site.replace(call, add_keyword(call, keyword("poolclass", expression(ref))))

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
            # Certain only when nothing else configures the pool (a queue-pool keyword or a
            # ``**kwargs`` that may carry one would make NullPool raise or be overridden).
            fixable=site.poolclass is None
            and not any(k.arg is None or k.arg in _QUEUE_POOL_KWARGS for k in node.keywords),
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
