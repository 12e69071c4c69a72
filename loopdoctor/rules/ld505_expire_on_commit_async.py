"""LD505: an async session factory that expires objects on commit.

After ``commit()`` every loaded object is expired; the next attribute read reloads it with IO
that an AsyncSession cannot run implicitly: ``MissingGreenlet: greenlet_spawn has not been
called``. Factories (app or tests) are always reported: their sessions commit somewhere. A
session a test builds for itself and never commits is not.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from loopdoctor.astwalk import walk
from loopdoctor.diagnostic import FixSafety, Severity
from loopdoctor.index.extract import dotted, iter_own_nodes
from loopdoctor.metadata.sessions import has_star_kwargs, kwarg, session_construct_kind
from loopdoctor.rule import Rule

if TYPE_CHECKING:
    from loopdoctor.fixes import Edit, FixSite


class ExpireOnCommitAsync(Rule):
    code = "LD505"
    name = "expire-on-commit-async"
    severity = Severity.WARNING
    summary = (
        "An async session or sessionmaker without `expire_on_commit=False`: attribute reads "
        "after commit() raise MissingGreenlet."
    )
    fix_safety = FixSafety.SAFE
    tokens = (b"AsyncSession", b"async_sessionmaker")

    @classmethod
    def fix(cls, site: FixSite) -> Edit | None:
        """``async_sessionmaker(e)`` -> ``async_sessionmaker(e, expire_on_commit=False)``."""
        import libcst as cst

        from loopdoctor.fixes import add_keyword, keyword

        call = site.node_of(cst.Call)
        if call is None:
            return None
        return site.replace(call, add_keyword(call, keyword("expire_on_commit", cst.Name("False"))))

    def visit_Call(self, node: ast.Call) -> None:
        ctx = self.ctx
        kind = session_construct_kind(ctx.project, node, ctx.module)
        if kind not in ("async_sessionmaker", "AsyncSession"):
            return
        if kwarg(node, "expire_on_commit") is not None or has_star_kwargs(node):
            return
        if self.configured_later(node):
            return
        if kind == "AsyncSession" and self.local_session_never_commits(node):
            return
        if kind == "async_sessionmaker" and self.read_only_test(node):
            return
        what = dotted(node.func) or kind
        product = "its sessions expire" if kind == "async_sessionmaker" else "it expires"
        self.report(
            node,
            f"`{what}(...)` without `expire_on_commit=False`: after `commit()` {product} every "
            "loaded object, and the next attribute read (an assert in the test, a response "
            "model serialising the ORM object) lazily reloads it with IO an AsyncSession cannot "
            "run: `MissingGreenlet: greenlet_spawn has not been called; can't call await_() "
            "here`; pass `expire_on_commit=False` (or `await session.refresh(obj)` after every "
            "commit)",
        )

    def read_only_test(self, node: ast.Call) -> bool:
        """A factory a test builds for itself, in a test that never commits."""
        owner = self.ctx.enclosing_def(node)
        info = self.ctx.enclosing_function(node)
        if owner is None or info is None or not info.is_test:
            return False
        return not any(
            isinstance(n, ast.Attribute) and n.attr in ("commit", "begin") for n in walk(info.node)
        )

    def configured_later(self, node: ast.Call) -> bool:
        """``Factory = async_sessionmaker(...)``, then ``Factory.configure(expire_on_commit=)``."""
        parent = self.ctx.parent(node)
        if not isinstance(parent, ast.Assign):
            return False
        names = {dotted(t) for t in parent.targets}
        for other in walk(self.ctx.module.tree):
            if (
                isinstance(other, ast.Call)
                and isinstance(other.func, ast.Attribute)
                and other.func.attr == "configure"
                and dotted(other.func.value) in names
                and kwarg(other, "expire_on_commit") is not None
            ):
                return True
        return False

    def local_session_never_commits(self, node: ast.Call) -> bool:
        """A session a test, fixture or helper uses by itself, reading nothing after a commit.

        Sessions that leave the function (yielded, returned, passed on) are not judged here.
        """
        ctx = self.ctx
        owner = ctx.enclosing_def(node)
        if owner is None:
            return False
        parent = ctx.parent(node)
        name: str | None = None
        if isinstance(parent, ast.Assign) and len(parent.targets) == 1:
            target = parent.targets[0]
            name = target.id if isinstance(target, ast.Name) else None
        elif isinstance(parent, ast.withitem) and isinstance(parent.optional_vars, ast.Name):
            name = parent.optional_vars.id
        if name is None:
            return False
        own = sorted(
            (n for n in iter_own_nodes(owner) if hasattr(n, "lineno")),
            key=lambda n: (n.lineno, n.col_offset),  # type: ignore[attr-defined]
        )
        objects: set[str] = set()
        committed: set[str] = set()  # objects loaded before a commit
        for other in own:
            if isinstance(other, ast.Return | ast.Yield) and other.value is not None:
                if _is_name(other.value, name):
                    return False  # the session itself leaves the function
                if any(_mentions(other.value, obj) for obj in committed):
                    return False  # an expired object is handed to the caller or the test
            if isinstance(other, ast.Assign):
                for target in other.targets:
                    if isinstance(target, ast.Name) and not _mentions(other.value, target.id):
                        committed.discard(target.id)  # rebound after the commit: a fresh value
            if isinstance(other, ast.Assign) and _mentions(other.value, name):
                objects.update(t.id for t in other.targets if isinstance(t, ast.Name))
            if not isinstance(other, ast.Call):
                if (
                    isinstance(other, ast.Attribute)
                    and isinstance(other.ctx, ast.Load)
                    and isinstance(other.value, ast.Name)
                    and other.value.id in committed
                ):
                    return False  # an expired object is read after the commit
                continue
            func = other.func
            receiver = func.value if isinstance(func, ast.Attribute) else None
            if isinstance(receiver, ast.Name) and receiver.id == name:
                if func.attr in ("add", "add_all", "merge"):  # type: ignore[union-attr]
                    for arg in other.args:
                        items = arg.elts if isinstance(arg, ast.List | ast.Tuple) else [arg]
                        objects.update(n.id for n in items if isinstance(n, ast.Name))
                elif func.attr in ("commit", "begin"):  # type: ignore[union-attr]
                    committed |= objects
                elif func.attr == "refresh":  # type: ignore[union-attr]
                    for arg in other.args:
                        if isinstance(arg, ast.Name):
                            committed.discard(arg.id)
            elif any(_is_name(a, name) for a in other.args) or any(
                _is_name(k.value, name) for k in other.keywords
            ):
                committer = self.project_committer(other)
                if committer is None:
                    return False  # handed to project code we cannot read: may commit and read
                if committer:
                    committed |= objects
        return True

    def project_committer(self, call: ast.Call, depth: int = 0) -> bool | None:
        """Does the callee commit? True/False for project code, False for library code (it
        cannot read the test's objects), None when a project callee cannot be found."""
        project, mod = self.ctx.project, self.ctx.module
        found = project.resolve_expr(call.func, mod)
        if found is None:
            qualname = project.qualify(call.func, mod) or ""
            head = qualname.split(".", 1)[0]
            local = head in mod.imports and project.find_module(head, mod) is not None
            return None if local or head in mod.functions else False
        func = found.function
        if func is None:
            return None if found.kind == "class" else False
        for node in iter_own_nodes(func.node):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in ("commit", "begin"):
                    return True
        return False


def _mentions(expr: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in walk(expr))


def _is_name(expr: ast.AST, name: str) -> bool:
    return isinstance(expr, ast.Name) and expr.id == name
