"""LD701: pytest-xdist runs, and a session-scoped database fixture is the same for every worker.

Each xdist worker is its own process with its own session scope, so a session fixture that
creates an engine, a schema or a database runs once per worker, all against one database:
create_all/drop_all race, and tests see each other's rows.
"""

from __future__ import annotations

import ast
from pathlib import Path

from loopdoctor.astwalk import walk
from loopdoctor.diagnostic import Severity
from loopdoctor.index.extract import dotted, iter_own_nodes
from loopdoctor.index.facts import FunctionInfo, ModuleInfo
from loopdoctor.metadata.sessions import any_engine_site, call_name, kwarg
from loopdoctor.metadata.strings import static_string
from loopdoctor.project import ProjectIndex
from loopdoctor.rule import Rule
from loopdoctor.versions import uses_distribution

#: Fixtures and names whose presence makes a value differ per worker (or per run).
_PER_WORKER_PARAMS = frozenset(
    {"worker_id", "testrun_uid", "tmp_path_factory", "tmpdir_factory", "tmp_path", "tmpdir"}
)
_PER_WORKER_WORDS = (
    "worker",
    "xdist",
    "testrun_uid",
    "uuid",
    "getpid",
    "mkdtemp",
    "mktemp",
    "temporaryfile",
    "gettempdir",
    "token_hex",
    "random",
)
_DB_CONNECTORS = frozenset(
    {
        "asyncpg.connect",
        "asyncpg.create_pool",
        "psycopg.connect",
        "psycopg.AsyncConnection.connect",
        "psycopg2.connect",
        "aiosqlite.connect",
        "sqlite3.connect",
        "sqlalchemy_utils.create_database",
        "sqlalchemy_utils.functions.create_database",
        "sqlalchemy_utils.database_exists",
    }
)
_SCHEMA_WORDS = ("create_all", "drop_all", "upgrade", "truncate", "create database", "drop ")


class XdistSharedDatabase(Rule):
    code = "LD701"
    name = "xdist-shared-database"
    severity = Severity.ERROR
    summary = (
        "pytest-xdist is in use and a session-scoped database fixture uses the same database "
        "in every worker."
    )
    tokens = (b"session",)
    requires = ((b"fixture",),)  # a session-scoped fixture

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        ctx = self.ctx
        func = ctx.function_info(node)
        if func is None or func.fixture is None or func.fixture.scope != "session":
            return
        if set(func.params) & _PER_WORKER_PARAMS:
            return
        evidence = xdist_evidence(ctx.project, ctx.module)
        if evidence is None:
            return
        if _mentions_worker(node) or self.closure_per_worker(func):
            return
        found = self.shared_database(func)
        if found is None:
            return
        url, what = found
        self.report(
            node,
            f"pytest-xdist is in use ({evidence}) and session-scoped fixture "
            f"`{func.fixture.name}` {what} `{url}`, which does not depend on the worker: "
            "every xdist worker runs session fixtures in its own process, so all of them "
            "create, fill and drop the same database at once (create_all/drop_all races, "
            "'relation already exists', tests seeing rows of tests in other workers, "
            "'database is locked' on SQLite); derive the database name from `worker_id` "
            '(e.g. f"..._test_{worker_id}") or `PYTEST_XDIST_WORKER`',
            at_name=True,
        )

    visit_AsyncFunctionDef = visit_FunctionDef

    def closure_per_worker(self, func: FunctionInfo) -> bool:
        """A fixture it requests (transitively) is keyed by the worker: e.g. ``database_name``."""
        for use in self.ctx.project.closure(func, self.ctx.module):
            other = use.fixture.func
            if set(other.params) & _PER_WORKER_PARAMS or _mentions_worker(other.node):
                return True
        return False

    # -- what database does the fixture set up? --------------------------------------------------
    def shared_database(self, func: FunctionInfo) -> tuple[str, str] | None:
        project, mod = self.ctx.project, self.ctx.module
        params = set(func.params)
        own = list(iter_own_nodes(func.node))
        for node in own:
            if not isinstance(node, ast.Call):
                continue
            site = any_engine_site(project, node, mod)
            url_expr: ast.AST | None = None
            what = "creates an engine for"
            if site is not None:
                url_expr = kwarg(node, "url") or (node.args[0] if node.args else None)
            elif call_name(project, node, mod) in _DB_CONNECTORS:
                url_expr = (
                    kwarg(node, "dsn")
                    or kwarg(node, "database")
                    or (node.args[0] if node.args else None)
                )
                what = "connects to"
            if url_expr is None:
                continue
            url = self.shared_url(url_expr, params)
            if url is not None:
                return url, what
        if self.does_schema_work(own):
            for node in own:
                if isinstance(node, ast.Name | ast.Attribute) and isinstance(
                    getattr(node, "ctx", None), ast.Load
                ):
                    if isinstance(node, ast.Name) and node.id in params:
                        continue
                    url = self.module_engine_url(node)
                    if url is not None:
                        return url, "creates the schema of the module-level engine's database"
        for node in own:
            if isinstance(node, ast.Return | ast.Yield) and node.value is not None:
                value = node.value
                if isinstance(value, ast.Constant | ast.JoinedStr | ast.Name | ast.Attribute):
                    url = self.shared_url(value, params)
                    if url is not None and _looks_like_db_url(url):
                        return url, "hands out the database URL"
        return None

    def shared_url(self, expr: ast.AST, params: set[str]) -> str | None:
        """A statically known, shared (not per-process) database URL, else None."""
        if any(isinstance(n, ast.Name) and n.id in params for n in walk(expr)):
            return None  # comes from another fixture: judged there
        if self.expr_depends_on_worker(expr):
            return None
        url = self.url_string(expr)
        if url is None or not url.strip() or url.startswith("{}"):
            return None
        if _is_memory(url):
            return None  # every worker process has its own memory database
        return url

    def url_string(self, expr: ast.AST) -> str | None:
        """Like ``static_string``, but f-string parts that name constants are filled in."""
        project, mod = self.ctx.project, self.ctx.module
        if isinstance(expr, ast.Name | ast.Attribute):
            found = project.resolve_expr(expr, mod)
            if found is not None and found.kind == "variable" and found.module is mod:
                return self.url_string(found.obj.value)  # type: ignore[union-attr]
        if not isinstance(expr, ast.JoinedStr):
            return static_string(project, expr, mod)
        parts: list[str] = []
        for value in expr.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                part = static_string(project, value.value, mod)
                parts.append(part if part is not None else "{}")
        return "".join(parts)

    def expr_depends_on_worker(self, expr: ast.AST, depth: int = 0) -> bool:
        if _mentions_worker(expr):
            return True
        if depth > 3:
            return False
        project, mod = self.ctx.project, self.ctx.module
        for node in walk(expr):
            if isinstance(node, ast.Name | ast.Attribute) and dotted(node):
                found = project.resolve_expr(node, mod)
                if found is not None and found.kind == "variable":
                    value = found.obj.value  # type: ignore[union-attr]
                    if _mentions_worker(value):
                        return True
        return False

    def does_schema_work(self, own: list[ast.AST]) -> bool:
        for node in own:
            if isinstance(node, ast.Attribute) and node.attr.lower() in ("create_all", "drop_all"):
                return True
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value.lower()
                if any(word in text for word in _SCHEMA_WORDS[3:]):
                    return True
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "upgrade"
            ):
                return True
        return False

    def module_engine_url(self, expr: ast.AST) -> str | None:
        project, mod = self.ctx.project, self.ctx.module
        found = project.resolve_expr(expr, mod)
        if found is None or found.kind != "variable":
            return None
        value = found.obj.value  # type: ignore[union-attr]
        if not isinstance(value, ast.Call):
            return None
        site = any_engine_site(project, value, found.module)
        if site is None or site.url is None:
            return None
        url_expr = kwarg(value, "url") or (value.args[0] if value.args else None)
        if url_expr is None or _mentions_worker(url_expr):
            return None
        if site.sqlite_memory or site.url.startswith("{}"):
            return None
        return site.url


def _mentions_worker(node: ast.AST) -> bool:
    for sub in walk(node):
        text = None
        if isinstance(sub, ast.Name):
            text = sub.id
        elif isinstance(sub, ast.Attribute):
            text = sub.attr
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            text = sub.value
        elif isinstance(sub, ast.arg):
            text = sub.arg
        if text and any(word in text.lower() for word in _PER_WORKER_WORDS):
            return True
    return False


def _is_memory(url: str) -> bool:
    if url == ":memory:" or "mode=memory" in url:
        return True
    if "://" not in url:
        return False
    scheme, rest = url.split("://", 1)
    return scheme.startswith("sqlite") and (rest in ("", "/") or ":memory:" in rest)


def _looks_like_db_url(url: str) -> bool:
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    return any(
        scheme.startswith(d)
        for d in ("postgres", "postgresql", "mysql", "mariadb", "sqlite", "mssql", "oracle")
    )


def xdist_evidence(project: ProjectIndex, mod: ModuleInfo) -> str | None:
    """Why we believe the suite runs under pytest-xdist, or None."""
    key = ("ld701-xdist", mod.rootdir)
    return project.memoised(key, lambda: _evidence(project, mod.rootdir, mod))


def _evidence(project: ProjectIndex, rootdir: Path, mod: ModuleInfo) -> str | None:
    settings = project.settings(mod.path)
    addopts = settings.raw.get("addopts", "")
    tokens = addopts.split() if isinstance(addopts, str) else [str(t) for t in addopts]
    if "xdist" in settings.disabled_plugins or "xdist.plugin" in settings.disabled_plugins:
        return None
    for i, token in enumerate(tokens):
        value = tokens[i + 1] if token in ("-n", "--numprocesses") and i + 1 < len(tokens) else ""
        if value == "0" or token in ("-n0", "-n=0", "--numprocesses=0"):
            return None  # parallelism switched off in the configuration
        if token in ("-n", "--numprocesses") or token.startswith(("--numprocesses=", "--dist")):
            return f"`{' '.join(tokens[i : i + 2])}` in addopts"
        if token.startswith("-n") and token[2:].strip("=").replace("auto", "1").isdigit():
            return f"`{token}` in addopts"
    if "xdist" in settings.plugins or "xdist.plugin" in settings.plugins:
        return "`-p xdist` in the pytest configuration"
    if uses_distribution("pytest-xdist", rootdir):
        return "pytest-xdist is a declared dependency"
    tokens = (b"worker_id", b"testrun_uid", b"PYTEST_XDIST_WORKER")
    for other in project.scan(tokens, rootdir, tests_only=True):
        for func in other.functions.values():
            if "worker_id" in func.params or "testrun_uid" in func.params:
                return f"`{func.name}` requests `worker_id` ({other.path.name})"
        for node in walk(other.tree):
            if isinstance(node, ast.Constant) and node.value == "PYTEST_XDIST_WORKER":
                return f"`PYTEST_XDIST_WORKER` is read in {other.path.name}"
    return None
