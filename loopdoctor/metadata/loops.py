"""Shared facts for the loop rules (LD103-LD107, LD201-LD204): who runs a test, which plugins.

Everything here is derived from the project index; results that need a scan of the whole
project are cached per :class:`ProjectIndex` (one check run), never in module globals that
outlive it.
"""

from __future__ import annotations

import ast
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from loopdoctor.astwalk import walk
from loopdoctor.index.extract import dotted, iter_own_nodes
from loopdoctor.index.facts import FunctionInfo, Mark, ModuleInfo
from loopdoctor.project import FixtureDef, ProjectIndex

#: Conftest hooks that can make pytest run coroutine tests/fixtures some other way.
_RUNNER_HOOKS = frozenset({"pytest_pyfunc_call", "pytest_collection_modifyitems"})
_FIXTURE_HOOKS = frozenset({"pytest_fixture_setup"})
#: Test-case base classes whose ``async def test_*`` methods their own runner awaits.
_ASYNC_CASE_SUFFIXES = (
    "IsolatedAsyncioTestCase",
    "AsyncTestCase",
    "AioHTTPTestCase",
    "AsyncHTTPTestCase",
    "TestCase",
)
#: Plugins that await coroutine tests and fixtures their own way (aiohttp's legacy plugin too).
_OTHER_RUNNER_PLUGINS = frozenset(
    {"anyio", "trio", "pytest_trio", "aiohttp.pytest_plugin", "pytest_tornasync", "tornado"}
)
#: Plugins that run every coroutine test, marked or not.
_CATCH_ALL_PLUGINS = frozenset({"aiohttp.pytest_plugin", "pytest_tornasync"})
#: Marks of plugins that run ``async def`` tests themselves.
OTHER_ASYNC_MARKS = frozenset({"anyio", "trio", "tornado", "gen_test", "twisted", "curio"})


@dataclass
class ProjectAsyncFacts:
    """What the modules of one rootdir use: pytest-asyncio, anyio, trio, custom hooks."""

    uses_pytest_asyncio: bool = False
    uses_anyio_or_trio: bool = False
    nest_asyncio: bool = False
    runs_any_coroutine_test: bool = False  # aiohttp's legacy plugin, pytest-tornasync
    anyio_auto: bool = False  # ``anyio_mode = auto`` (AnyIO 4.11+): anyio runs every async test


_FACTS: weakref.WeakKeyDictionary[ProjectIndex, dict[Path, ProjectAsyncFacts]] = (
    weakref.WeakKeyDictionary()
)


def _all_marks(mod: ModuleInfo) -> list[Mark]:
    marks = list(mod.pytestmark)
    for cls in mod.classes.values():
        marks.extend(cls.marks)
    for func in mod.functions.values():
        marks.extend(func.marks)
    return marks


#: What a module must say to count in ``project_facts`` (imports, plugins, marks, fixtures).
_FACT_TOKENS = (b"asyncio", b"anyio", b"trio", b"pytest_plugins", b"nest_asyncio")


def project_facts(project: ProjectIndex, mod: ModuleInfo) -> ProjectAsyncFacts:
    """Facts about every indexed module that shares ``mod``'s rootdir (cached per run)."""
    per_root = _FACTS.setdefault(project, {})
    facts = per_root.get(mod.rootdir)
    if facts is not None:
        return facts
    facts = ProjectAsyncFacts()
    settings = project.asyncio_env(mod).settings
    if settings.uses_asyncio_config():
        facts.uses_pytest_asyncio = True
    raw_trio = str(settings.raw.get("trio_mode", "")).strip().lower()
    if raw_trio in ("true", "1", "yes", "on"):
        facts.uses_anyio_or_trio = True
    if _OTHER_RUNNER_PLUGINS & set(settings.plugins):
        facts.uses_anyio_or_trio = True
    if _CATCH_ALL_PLUGINS & set(settings.plugins):
        facts.runs_any_coroutine_test = True
    if _anyio_auto_mode(settings.raw):
        facts.anyio_auto = facts.uses_anyio_or_trio = True
    for other in project.scan(_FACT_TOKENS, mod.rootdir):
        imported = set(other.imports.values())
        if any(q == "pytest_asyncio" or q.startswith("pytest_asyncio.") for q in imported):
            facts.uses_pytest_asyncio = True
        if _OTHER_RUNNER_PLUGINS & set(other.pytest_plugins):
            facts.uses_anyio_or_trio = True
        if _CATCH_ALL_PLUGINS & set(other.pytest_plugins):
            facts.runs_any_coroutine_test = True
        names = {m.name for m in _all_marks(other)}
        if "asyncio" in names:
            facts.uses_pytest_asyncio = True
        if names & {"anyio", "trio"}:
            facts.uses_anyio_or_trio = True
        for func in other.functions.values():
            if func.fixture is not None and func.fixture.name == "anyio_backend":
                facts.uses_anyio_or_trio = True
        if any(q.startswith("nest_asyncio") for q in imported):
            facts.nest_asyncio = True
    per_root[mod.rootdir] = facts
    return facts


def _anyio_auto_mode(raw: Mapping[str, str | list[str]]) -> bool:
    """``anyio_mode = auto`` in the ini, or ``--anyio-mode[=]auto`` / ``-o anyio_mode=auto``."""
    if str(raw.get("anyio_mode", "")).strip().lower() == "auto":
        return True
    addopts = raw.get("addopts", "")
    tokens = addopts.split() if isinstance(addopts, str) else [str(t) for t in addopts]
    for i, token in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token in ("--anyio-mode=auto", "-oanyio_mode=auto") or (
            token in ("--anyio-mode", "-o", "--override-ini") and nxt in ("auto", "anyio_mode=auto")
        ):
            return True
        if token.startswith("--override-ini=") and token.endswith("anyio_mode=auto"):
            return True
    return False


def pytest_asyncio_active(project: ProjectIndex, mod: ModuleInfo) -> bool:
    """pytest-asyncio is loaded (not ``-p no:asyncio``) and the project uses it."""
    env = project.asyncio_env(mod)
    return env.plugin_active and project_facts(project, mod).uses_pytest_asyncio


_ASYNC_WORDS = ("asyncio", "anyio", "trio", "coroutine", "iscoroutinefunction", "await")


def _defines_hook(mod: ModuleInfo, names: frozenset[str]) -> bool:
    """A hook in ``names``; ``pytest_collection_modifyitems`` only when it deals with async."""
    for func in mod.functions.values():
        if func.class_name is not None or func.name not in names:
            continue
        if func.name != "pytest_collection_modifyitems":
            return True
        words = {n.id for n in walk(func.node) if isinstance(n, ast.Name)}
        words |= {n.attr for n in walk(func.node) if isinstance(n, ast.Attribute)}
        words |= {
            n.value
            for n in walk(func.node)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
        }
        if any(word in w for w in words for word in _ASYNC_WORDS):
            return True
    return False


def has_runner_hook(project: ProjectIndex, mod: ModuleInfo) -> bool:
    """A conftest (or the module) defines a hook that may run or mark coroutine tests itself."""
    sources = [*project.conftests(mod), *project.plugin_modules(mod)]
    if mod.is_conftest:
        sources.append(mod)
    return any(_defines_hook(source, _RUNNER_HOOKS) for source in sources)


def has_fixture_hook(project: ProjectIndex, mod: ModuleInfo) -> bool:
    """A ``pytest_fixture_setup`` hook in scope may await async fixtures its own way."""
    sources = [*project.conftests(mod), *project.plugin_modules(mod)]
    if mod.is_conftest:
        sources.append(mod)
    return any(_defines_hook(source, _FIXTURE_HOOKS) for source in sources)


def inherited_marks(project: ProjectIndex, func: FunctionInfo, mod: ModuleInfo) -> list[Mark]:
    """Marks from the test, its class and project base classes, and the module ``pytestmark``."""
    marks = project.marks_for(func, mod)
    cls = project.class_of(func, mod)
    seen: set[int] = set()
    while cls is not None and id(cls) not in seen:
        seen.add(id(cls))
        base_cls = None
        for base in cls.bases:
            found = project.resolve(base, mod) if base else None
            if found is not None and found.kind == "class":
                base_cls = found.obj
                marks.extend(base_cls.marks)  # type: ignore[union-attr]
                break
        cls = base_cls  # type: ignore[assignment]
    return marks


def foreign_test_base(project: ProjectIndex, func: FunctionInfo, mod: ModuleInfo) -> bool:
    """The test is a method of a class with a base we cannot see through (unittest etc.)."""
    cls = project.class_of(func, mod)
    seen: set[int] = set()
    while cls is not None and id(cls) not in seen:
        seen.add(id(cls))
        next_cls = None
        for base in cls.bases:
            if base in ("", "object"):
                if base == "":
                    return True
                continue
            found = project.resolve(base, mod)
            if found is None or found.kind != "class":
                return True
            if base.endswith(_ASYNC_CASE_SUFFIXES):
                return True
            next_cls = found.obj
        cls = next_cls  # type: ignore[assignment]
    return False


def fixture_param_marks(project: ProjectIndex, func: FunctionInfo, mod: ModuleInfo) -> set[str]:
    """Marks a test gets from its fixtures' ``params=[pytest.param(..., marks=...)]``."""
    names: set[str] = set()
    for use in project.closure(func, mod):
        info = use.fixture.info
        decorator = info.decorator
        if not info.has_params or not isinstance(decorator, ast.Call):
            continue
        for keyword in decorator.keywords:
            if keyword.arg != "params":
                continue
            for call in walk(keyword.value):
                if not isinstance(call, ast.Call):
                    continue
                for kw in call.keywords:
                    if kw.arg != "marks":
                        continue
                    for node in walk(kw.value):
                        name = dotted(node) if isinstance(node, ast.Attribute) else None
                        if name and (name.startswith("pytest.mark.") or name.startswith("mark.")):
                            names.add(name.rsplit(".", 1)[1])
    return names


def requests_anyio_backend(project: ProjectIndex, func: FunctionInfo, mod: ModuleInfo) -> bool:
    return any(use.fixture.name == "anyio_backend" for use in project.closure(func, mod)) or (
        "anyio_backend" in func.params
    )


def test_runner(project: ProjectIndex, func: FunctionInfo, mod: ModuleInfo) -> str | None:
    """Who awaits an ``async def`` test: "asyncio", "anyio", "trio", "other", or None (nobody).

    "other" means something we cannot see through (a decorator, a unittest base class, a
    conftest hook) may run it: rules stay silent then.
    """
    names = {m.name for m in inherited_marks(project, func, mod)}
    names |= fixture_param_marks(project, func, mod)
    env = project.asyncio_env(mod)
    if "anyio" in names or requests_anyio_backend(project, func, mod):
        return "anyio"
    if "trio" in names:
        return "trio"
    if names & OTHER_ASYNC_MARKS:
        return "other"
    if "asyncio" in names and env.plugin_active:
        return "asyncio"
    if project_facts(project, mod).anyio_auto:
        return "anyio"
    if any(not transparent_decorator(d) for d in func.decorator_names):
        return "other"
    if foreign_test_base(project, func, mod) or has_runner_hook(project, mod):
        return "other"
    if project_facts(project, mod).runs_any_coroutine_test:
        return "other"
    if env.mode == "auto" and env.plugin_active:
        return "asyncio"
    if project.async_runner(func, mod) == "trio":
        return "trio"
    return None


#: Decorators that keep an ``async def`` test a coroutine function pytest must hand to a plugin.
_TRANSPARENT = frozenset(
    {
        "unittest.mock.patch",
        "unittest.mock.patch.object",
        "unittest.mock.patch.dict",
        "unittest.mock.patch.multiple",
        "staticmethod",
        "classmethod",
        "typing.override",
    }
)


def transparent_decorator(name: str) -> bool:
    return name.startswith("pytest.mark.") or name in _TRANSPARENT


def anyio_or_trio_project(project: ProjectIndex, mod: ModuleInfo) -> bool:
    return project_facts(project, mod).uses_anyio_or_trio


def fixture_resolved_by_plugin(project: ProjectIndex, fixture: FixtureDef) -> bool | None:
    """Whether some plugin awaits this async fixture; None when we cannot tell."""
    if not fixture.is_async:
        return True
    mod = fixture.module
    env = project.asyncio_env(mod)
    if anyio_or_trio_project(project, mod) or has_fixture_hook(project, mod):
        return None
    if not env.plugin_active:
        return False
    if fixture.info.kind == "pytest_asyncio":
        return True
    return env.mode == "auto"


#: Directories whose modules count as test code wherever they are named.
TEST_DIRS = ("tests", "test", "testing")


def is_test_code(mod: ModuleInfo) -> bool:
    """Test modules, conftests, and modules that live in a ``tests``/``test`` directory."""
    if mod.is_test_module or mod.is_conftest:
        return True
    return in_test_dir(mod.path)


def in_test_dir(path: Path) -> bool:
    """The file lives in a ``tests``/``test``/``testing`` directory (up to four levels up)."""
    return any(part in TEST_DIRS for part in path.parent.parts[-4:])


def produces_value(func: FunctionInfo) -> bool:
    """The fixture yields or returns something other than a bare ``None``."""
    wanted = ast.Yield if func.is_generator else ast.Return
    for node in iter_own_nodes(func.node):
        if isinstance(node, wanted) and node.value is not None and not _is_none(node.value):
            return True
    return False


def _is_none(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None


def call_name(project: ProjectIndex, call: ast.Call, mod: ModuleInfo) -> str | None:
    """Canonical qualified name of a call's callee (``aio.run`` -> ``asyncio.run``)."""
    return project.qualify(call.func, mod) if dotted(call.func) else None
