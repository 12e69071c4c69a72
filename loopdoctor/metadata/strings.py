"""Evaluate string expressions statically: constants, f-strings, ``__name__``, settings defaults.

Used for database URLs (LD5xx) and ``patch("module.attr")`` targets (LD4xx). Placeholders that
cannot be known become ``{}`` so a URL's scheme survives ``f"postgresql+asyncpg://{user}@..."``.
"""

from __future__ import annotations

import ast

from loopdoctor.index.facts import ModuleInfo
from loopdoctor.knowledge import canonical
from loopdoctor.project import ProjectIndex


def static_string(
    project: ProjectIndex, expr: ast.AST | None, mod: ModuleInfo, depth: int = 0
) -> str | None:
    """Evaluate a string expression without running anything (constants, f-strings, defaults)."""
    if expr is None or depth > 8:
        return None
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, ast.Name) and expr.id == "__name__":
        return mod.modname
    if isinstance(expr, ast.JoinedStr):
        parts = []
        for value in expr.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif (
                isinstance(value, ast.FormattedValue)
                and isinstance(value.value, ast.Name)
                and (value.value.id == "__name__")
            ):
                parts.append(mod.modname)
            else:
                parts.append("{}")
        return "".join(parts)
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        left = static_string(project, expr.left, mod, depth + 1)
        right = static_string(project, expr.right, mod, depth + 1)
        return None if left is None else left + (right if right is not None else "{}")
    if isinstance(expr, ast.Call):
        name = canonical(project.qualify(expr.func, mod)) or ""
        if name in ("os.getenv", "os.environ.get") and len(expr.args) >= 2:
            return static_string(project, expr.args[1], mod, depth + 1)
        if isinstance(expr.func, ast.Attribute) and expr.func.attr == "replace" and expr.args:
            base = static_string(project, expr.func.value, mod, depth + 1)
            if base is not None and len(expr.args) == 2:
                old = static_string(project, expr.args[0], mod, depth + 1)
                new = static_string(project, expr.args[1], mod, depth + 1)
                if old is not None and new is not None:
                    return base.replace(old, new, 1)
        if name in ("str", "sqlalchemy.engine.make_url", "sqlalchemy.make_url") and expr.args:
            return static_string(project, expr.args[0], mod, depth + 1)
        if name.endswith("URL.create"):
            for kw in expr.keywords:
                if kw.arg == "drivername":
                    driver = static_string(project, kw.value, mod, depth + 1)
                    return f"{driver}://" if driver else None
        return None
    if isinstance(expr, ast.Name | ast.Attribute):
        found = project.resolve_expr(expr, mod)
        if found is not None and found.kind == "variable":
            return static_string(project, found.obj.value, found.module, depth + 1)  # type: ignore[union-attr]
        # settings.database_url where settings = Settings() and Settings has a default value
        if isinstance(expr, ast.Attribute):
            owner = project.resolve_expr(expr.value, mod)
            if owner is not None and owner.kind == "variable":
                value = owner.obj.value  # type: ignore[union-attr]
                if isinstance(value, ast.Call):
                    cls = project.resolve_expr(value.func, owner.module)
                    if cls is not None and cls.kind == "class":
                        attr = cls.obj.attributes.get(expr.attr)  # type: ignore[union-attr]
                        return static_string(project, attr, cls.module, depth + 1)
            elif owner is not None and owner.kind == "class":
                attr = owner.obj.attributes.get(expr.attr)  # type: ignore[union-attr]
                return static_string(project, attr, owner.module, depth + 1)
    return None
