"""LD605: a test sends several requests through an app whose pooled engine crosses loops."""

from __future__ import annotations

import ast

from loopdoctor.diagnostic import Severity
from loopdoctor.index.extract import iter_own_nodes
from loopdoctor.index.facts import FunctionInfo
from loopdoctor.knowledge import (
    ASYNC_CLIENT,
    ASYNC_CONNECTION,
    ASYNC_SESSION,
    SYNC_TEST_CLIENT,
    scope_rank,
)
from loopdoctor.metadata.engines import all_engine_sites, analyse_engine
from loopdoctor.rule import TEST_FILE, Rule

REQUEST_METHODS = frozenset("get post put patch delete head options request send stream".split())
CLIENT_TYPES = frozenset({ASYNC_CLIENT, SYNC_TEST_CLIENT, "httpx.Client"})
SHARED_CONNECTION_TYPES = frozenset(
    {ASYNC_SESSION, ASYNC_CONNECTION, "asyncpg.Connection", "asyncpg.Pool"}
)


class ChainedRequestsSharedState(Rule):
    code = "LD605"
    name = "chained-requests-shared-state"
    severity = Severity.ERROR
    summary = (
        "A test chains requests through an app whose pooled engine or session crosses event "
        "loops ('another operation is in progress')."
    )
    tokens = (b"get(", b"post(", b"put(", b"patch(", b"delete(", b"request(")
    requires = ((TEST_FILE,),)  # tests only

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        func = self.ctx.function_info(node)
        if func is None or not func.is_test:
            return
        requests = self.count_requests(func)
        if requests < 2:
            return
        project = self.ctx.project
        if self.check_shared_connection(node, func, requests):
            return
        for site in all_engine_sites(project):
            analysis = analyse_engine(project, site)
            if analysis is None:
                continue
            mine = next((c for c in analysis.consumers if c.test is func), None)
            if mine is None or not (analysis.crosses_loops or mine.loop_per_request):
                continue
            site_path = site.module.path
            related = [
                self.related(
                    site.call,
                    f"root cause: pooled engine ({analysis.verdict.description}) shared across "
                    "event loops (LD501)",
                    site_path,
                )
            ]
            root_fixture = analysis.home.fixture
            if root_fixture is not None:
                related.append(
                    self.related(
                        root_fixture.func.node,
                        f"{root_fixture.info.scope}-scoped fixture `{root_fixture.name}` holds it",
                        root_fixture.module.path,
                    )
                )
            holder = (
                f"fixture `{root_fixture.name}` ({root_fixture.module.path.name}:"
                f"{root_fixture.func.line})"
                if root_fixture is not None
                else f"the engine created at {site_path.name}:{site.call.lineno}"
            )
            self.report(
                node,
                f"`{func.name}` sends {self.describe(requests)} and reaches {holder} via "
                f"{mine.via}, "
                "a pooled engine shared across event loops: after the first request on a "
                "connection from another loop fails ('attached to a different loop'), the next "
                "ones fail with 'another operation is in progress'; fix the root cause (LD501: "
                "`poolclass=NullPool` or one loop scope), then chained requests are fine",
                related=related,
                at_name=True,
            )
            return

    visit_AsyncFunctionDef = visit_FunctionDef

    def check_shared_connection(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, func: FunctionInfo, requests: int
    ) -> bool:
        """A wider-scoped fixture holds one session/connection that outlives the test's loop."""
        project = self.ctx.project
        module = self.ctx.module
        if not func.is_async or project.async_runner(func, module) != "asyncio":
            return False
        loop_scope = project.test_loop_scope(func, module)
        for use in project.closure(func, module):
            fixture = use.fixture
            if scope_rank(fixture.info.scope) <= scope_rank(loop_scope):
                continue
            value = self.ctx.types.return_type(fixture.func, fixture.module)
            if value not in SHARED_CONNECTION_TYPES:
                continue
            chain = " -> ".join(f"`{n}`" for n in use.chain)
            self.report(
                node,
                f"`{func.name}` sends {self.describe(requests)} while {fixture.info.scope}-"
                f"scoped fixture `{fixture.name}` ({fixture.module.path.name}:"
                f"{fixture.func.line}, via {chain}) holds one {value.rsplit('.', 1)[-1]} across "
                f"the {loop_scope}-scoped loops of the tests that use it: its connection is bound "
                "to the first loop, so requests fail with 'attached to a different loop', then "
                "'another operation is in progress'; give the fixture the test's scope or run "
                "both on one loop (LD106)",
                related=[
                    self.related(
                        fixture.func.node,
                        f"root cause: {fixture.info.scope}-scoped `{fixture.name}` shares one "
                        f"{value.rsplit('.', 1)[-1]}",
                        fixture.module.path,
                    )
                ],
                at_name=True,
            )
            return True
        return False

    @staticmethod
    def describe(requests: int) -> str:
        return "requests in a loop" if requests >= 1000 else f"{requests} requests in a row"

    def count_requests(self, func: FunctionInfo) -> int:
        env = self.ctx.env(func)
        count = 0
        for node in iter_own_nodes(func.node):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in REQUEST_METHODS:
                continue
            receiver = self.ctx.types.type_of(node.func.value, self.ctx.module, env)
            if receiver not in CLIENT_TYPES:
                continue
            count += 1000 if self.in_loop(node, func.node) else 1
        return count

    def in_loop(self, node: ast.AST, stop: ast.AST) -> bool:
        for ancestor in self.ctx.ancestors(node):
            if ancestor is stop:
                return False
            if isinstance(
                ancestor, ast.For | ast.AsyncFor | ast.While | ast.ListComp | ast.GeneratorExp
            ):
                return True
        return False
