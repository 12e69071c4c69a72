"""The project index: every module's facts, name resolution across modules, and the fixture graph.

Built once per run with ``ast`` (fast); rules query it instead of re-reading other files. Modules
that the checked files import but that were not passed on the command line (``app/`` when only
``tests/`` is checked, every conftest.py up to the rootdir) are loaded on demand, read-only.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from loopdoctor.astwalk import walk
from loopdoctor.config import PytestSettings, load_pytest_settings
from loopdoctor.index.extract import ModuleExtractor, is_test_file
from loopdoctor.index.facts import ClassInfo, FixtureInfo, FunctionInfo, Mark, ModuleInfo, VarInfo
from loopdoctor.knowledge import canonical
from loopdoctor.source import SourceFile, UnreadableSource, read_source
from loopdoctor.versions import DetectedVersion, detect_version

if TYPE_CHECKING:
    from loopdoctor.incremental import Recorder

T = TypeVar("T")

#: Fixtures pytest and common plugins provide; requesting them is never an unknown fixture.
BUILTIN_FIXTURES = frozenset(
    "request tmp_path tmp_path_factory tmpdir tmpdir_factory monkeypatch capsys capsysbinary "
    "capfd capfdbinary caplog pytestconfig recwarn record_property record_xml_attribute "
    "record_testsuite_property cache doctest_namespace subtests mocker module_mocker "
    "class_mocker session_mocker worker_id testrun_uid anyio_backend unused_tcp_port "
    "unused_tcp_port_factory unused_udp_port unused_udp_port_factory event_loop_policy".split()
)


@dataclass(frozen=True)
class Resolved:
    """What a qualified name points to inside the project."""

    kind: str  # "function" | "class" | "variable" | "module"
    module: ModuleInfo
    obj: FunctionInfo | ClassInfo | VarInfo | ModuleInfo

    @property
    def function(self) -> FunctionInfo | None:
        return self.obj if isinstance(self.obj, FunctionInfo) else None


@dataclass(frozen=True)
class FixtureDef:
    """A fixture definition and the module that holds it."""

    func: FunctionInfo
    info: FixtureInfo
    module: ModuleInfo

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def is_async(self) -> bool:
        return self.func.is_async

    def describe(self) -> str:
        return f"fixture `{self.name}` ({self.module.path.name}:{self.func.line})"


@dataclass(frozen=True)
class FixtureUse:
    """A fixture in a test's closure, with the chain of requests that pulled it in."""

    fixture: FixtureDef
    chain: tuple[str, ...]  # names from the test down to this fixture


@dataclass(frozen=True)
class AsyncioEnv:
    """The pytest-asyncio behaviour in force for one rootdir."""

    settings: PytestSettings
    version: DetectedVersion

    @property
    def mode(self) -> str:
        return self.settings.asyncio_mode

    @property
    def legacy_event_loop(self) -> bool:
        """Before 0.23 every async test and fixture ran on the ``event_loop`` fixture's loop."""
        return not self.version.at_least(0, 23)

    @property
    def plugin_active(self) -> bool:
        return "no:asyncio" not in self.settings.disabled_plugins and (
            "asyncio" not in self.settings.disabled_plugins
        )


def _module_names(path: Path, rootdir: Path) -> tuple[str, Path, list[str]]:
    """(dotted name, its import root, alias names importable from rootdir or rootdir/src)."""
    parts = [] if path.stem == "__init__" else [path.stem]
    directory = path.parent
    while (directory / "__init__.py").exists() and directory != directory.parent:
        parts.insert(0, directory.name)
        directory = directory.parent
    primary = ".".join(parts)
    aliases: list[str] = []
    for base in (rootdir, rootdir / "src"):
        try:
            rel = path.relative_to(base)
        except ValueError:
            continue
        rel_parts = list(rel.with_suffix("").parts)
        if rel_parts and rel_parts[-1] == "__init__":
            rel_parts = rel_parts[:-1]
        if rel_parts and all(p.isidentifier() for p in rel_parts):
            alias = ".".join(rel_parts)
            if alias != primary:
                aliases.append(alias)
    return primary, directory, aliases


class ProjectIndex:
    """Facts across files. ``add`` the checked files, then query; other files load on demand."""

    def __init__(
        self,
        settings_for: Callable[[Path], PytestSettings] | None = None,
        version_for: Callable[[str, Path], DetectedVersion] | None = None,
    ) -> None:
        self._settings_for = settings_for or (lambda d: load_pytest_settings(d))
        self._version_for = version_for or (lambda name, root: detect_version(name, root))
        self.modules: dict[Path, ModuleInfo] = {}
        self._by_name: dict[tuple[Path, str], ModuleInfo] = {}
        self._by_global_name: dict[str, list[ModuleInfo]] = {}
        self._missing: set[Path] = set()
        self._module_misses: set[tuple[str, Path, Path]] = set()
        self._resolve_cache: dict[tuple[str, Path, Path], Resolved | None] = {}
        #: Every name a project coroutine function can be called by (maintained by ``add``).
        self.coroutine_names: set[str] = set()
        self._envs: dict[Path, AsyncioEnv] = {}
        #: Whole-project analyses computed once per run by rules (keyed by the analysis).
        self.memo: Memo = Memo()
        #: The facets each shared memo entry was computed from (``loopdoctor.incremental``).
        self.memo_facets: dict[object, frozenset[tuple[str, ...]]] = {}
        self._versions: dict[tuple[str, Path], DetectedVersion] = {}
        #: Checked files named by ``register`` before they are parsed; ``_load`` adopts them
        #: from ``deferred_loader`` on first use, so a lazily built index answers like a full one.
        self.deferred: dict[Path, int] = {}
        self.deferred_loader: Callable[[Path], ModuleInfo | None] | None = None
        #: Modules built once per run, shared by the per-file views (``loopdoctor.incremental``).
        self.pool: dict[Path, ModuleInfo | None] = {}
        #: Records what the file being checked reads, for the result cache; None otherwise.
        self.recorder: Recorder | None = None
        #: Bytes of the checked files, for ``scan`` (filled by the engine, read lazily else).
        self.texts: dict[Path, bytes] = {}
        self._scan_hits: dict[tuple[bytes, ...], list[Path]] = {}
        self._test_paths: dict[Path, bool] = {}
        self._probes: dict[tuple[str, Path, Path], list[tuple[str, Path, bool]]] = {}
        #: Autouse fixtures per fixture layer (a pure function of the layer: never recorded).
        self._autouse_of: dict[int, tuple[dict[str, FixtureDef], list[FixtureDef]]] = {}

    # -- building ------------------------------------------------------------------------------
    def settings(self, path: Path) -> PytestSettings:
        if self.recorder is not None:
            self.recorder.touch("settings", str(path.parent))
        return self._settings_for(path.parent)

    def add(self, source: SourceFile, tree: ast.Module) -> ModuleInfo:
        """Record a parsed module (the engine parses each checked file exactly once)."""
        return self.adopt(self.build(source, tree))

    def build(self, source: SourceFile, tree: ast.Module) -> ModuleInfo:
        """Extract a module's facts without adding it (the engine shares them across views)."""
        path = source.path
        settings = self.settings(path)
        rootdir = settings.rootdir
        modname, package_root, aliases = _module_names(path, rootdir)
        info = ModuleInfo(
            path=path,
            modname=modname,
            package_root=package_root,
            rootdir=rootdir,
            tree=tree,
            is_conftest=path.name == "conftest.py",
            is_test_module=path.name != "conftest.py" and is_test_file(path, settings.python_files),
        )
        extractor = ModuleExtractor(info, settings.python_classes, settings.python_functions)
        extractor.may_yield = b"yield" in source.data  # else no def is a generator: no walks
        extractor.run()
        info.aliases = aliases  # type: ignore[attr-defined]
        return info

    def adopt(self, info: ModuleInfo) -> ModuleInfo:
        """Add a built module; a ``register``ed file replaces only its own placeholder."""
        path = info.path
        self.modules[path] = info
        self.pool.setdefault(path, info)
        self.coroutine_names |= info.coroutine_def_names
        self._module_misses.clear()
        self._resolve_cache.clear()
        for name in (info.modname, *info.aliases):  # type: ignore[attr-defined]
            if not name:
                continue
            key = (info.rootdir, name)
            if path not in self.deferred or self._by_name.get(key) == path:
                self._by_name[key] = info
            others = self._by_global_name.get(name, [])
            if path in self.deferred and path in others:
                self._by_global_name[name] = [info if e == path else e for e in others]
            else:  # a new list: per-file views share the old one
                self._by_global_name[name] = [*others, info]
        return info

    def register(self, path: Path) -> None:
        """Name a checked file before it is parsed, in the order ``add`` would have named it."""
        rootdir = self._settings_for(path.parent).rootdir
        modname, _, aliases = _module_names(path, rootdir)
        self.deferred[path] = len(self.deferred)
        for name in (modname, *aliases):
            if name:
                self._by_name[(rootdir, name)] = path  # type: ignore[assignment]
                self._by_global_name[name] = [*self._by_global_name.get(name, []), path]  # type: ignore[list-item]

    def _load(self, path: Path) -> ModuleInfo | None:
        """Parse a file that was not among the checked ones; failures just mean 'unknown'."""
        path = path.absolute()
        if path in self.modules:
            return self.modules[path]
        if path in self.pool or (path in self.deferred and self.deferred_loader is not None):
            pooled = self.pool[path] if path in self.pool else self.deferred_loader(path)  # type: ignore[misc]
            self.pool[path] = pooled
            return self.adopt(pooled) if pooled is not None else None
        if path in self._missing or not path.is_file():
            self._missing.add(path)
            return None
        try:
            source = read_source(path)
            tree = ast.parse(source.text, filename=str(path))
        except (UnreadableSource, SyntaxError, ValueError, RecursionError, MemoryError):
            self._missing.add(path)
            self.pool[path] = None
            return None
        info = self.build(source, tree)
        self.pool[path] = info
        return self.adopt(info)

    # -- modules and names -----------------------------------------------------------------------
    def module(self, path: Path) -> ModuleInfo | None:
        if self.recorder is not None:
            self.recorder.touch("file", str(path.absolute()))
        return self.modules.get(path) or self._load(path)

    def find_module(self, name: str, near: ModuleInfo) -> ModuleInfo | None:
        if self.recorder is not None:
            self.recorder.touch("paths")
        if name == near.modname:  # a module's own names (every conftest.py is "conftest")
            return near
        found = self._by_name.get((near.rootdir, name))
        if isinstance(found, Path):  # a registered checked file, parsed on first use
            found = self._load(found)
        if found is not None:
            if self.recorder is not None:
                self.recorder.touch("file", str(found.path))
            return found
        key = (name, near.package_root, near.rootdir)
        if key in self._module_misses:
            return None
        found = self._find_module_uncached(name, near)
        if found is None:
            self._module_misses.add(key)
        return found

    def _find_module_uncached(self, name: str, near: ModuleInfo) -> ModuleInfo | None:
        for facet, candidate, is_file in self._probe(name, near):
            if self.recorder is not None:
                self.recorder.touch("file", facet)
            if is_file:
                loaded = self._load(candidate)
                if loaded is not None:
                    return loaded
        candidates = self._by_global_name.get(name, [])
        if len(candidates) == 1 and isinstance(candidates[0], Path):
            return self._load(candidates[0])
        return candidates[0] if len(candidates) == 1 else None

    def _probe(self, name: str, near: ModuleInfo) -> list[tuple[str, Path, bool]]:
        """Where ``name`` may live on disk: relative to the importing module's import root,
        the rootdir, rootdir/src; with whether each is a file. The filesystem does not
        change during a run, so every view shares the answer (each still records reading it).
        """
        key = (name, near.package_root, near.rootdir)
        found = self._probes.get(key)
        if found is None:
            found = []
            rel = Path(*name.split("."))
            for base in (near.package_root, near.rootdir, near.rootdir / "src"):
                for candidate in (base / rel.with_suffix(".py"), base / rel / "__init__.py"):
                    try:
                        is_file = candidate.is_file()
                    except OSError:  # a dotted name too long for the filesystem: not a module
                        is_file = False
                    found.append((str(candidate.absolute()), candidate, is_file))
            self._probes[key] = found
        return found

    def resolve(self, qualname: str | None, near: ModuleInfo, _depth: int = 0) -> Resolved | None:
        """Follow a qualified name through modules, re-exports and aliases to its definition."""
        if not qualname or _depth > 12:
            return None
        key = (qualname, near.package_root, near.rootdir)
        if key in self._resolve_cache:
            return self._resolve_cache[key]
        found = self._resolve_uncached(qualname, near, _depth)
        self._resolve_cache[key] = found
        return found

    def _resolve_uncached(self, qualname: str, near: ModuleInfo, _depth: int) -> Resolved | None:
        parts = qualname.split(".")
        for cut in range(len(parts), 0, -1):
            mod = self.find_module(".".join(parts[:cut]), near)
            if mod is not None:
                return self._resolve_in(mod, parts[cut:], _depth)
        return None

    def _resolve_in(self, mod: ModuleInfo, rest: list[str], depth: int) -> Resolved | None:
        if not rest:
            return Resolved("module", mod, mod)
        name, tail = rest[0], rest[1:]
        if name in mod.classes:
            cls = mod.classes[name]
            if not tail:
                return Resolved("class", mod, cls)
            if len(tail) == 1 and tail[0] in cls.methods:
                return Resolved("function", mod, cls.methods[tail[0]])
            return None
        func = mod.functions.get(name)
        if func is not None:
            return Resolved("function", mod, func) if not tail else None
        if name in mod.variables and not tail:
            return Resolved("variable", mod, mod.variables[name])
        if name in mod.imports:
            target = ".".join([mod.imports[name], *tail])
            return self.resolve(target, mod, depth + 1)
        for star in mod.star_imports:
            found = self.resolve(".".join([star, *rest]), mod, depth + 1)
            if found is not None:
                return found
        # A submodule reached as an attribute of its package: ``import app; app.db.engine``.
        if mod.path.name == "__init__.py":
            sub = self.find_module(f"{mod.modname}.{name}" if mod.modname else name, mod)
            if sub is not None and sub is not mod:
                return self._resolve_in(sub, tail, depth + 1)
        return None

    def qualify(self, expr: ast.AST, mod: ModuleInfo) -> str | None:
        """The qualified name an expression refers to through ``mod``'s imports and defs."""
        from loopdoctor.index.extract import dotted

        name = dotted(expr)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        if head in mod.imports:
            base = mod.imports[head]
        elif head in mod.functions or head in mod.classes or head in mod.variables:
            base = f"{mod.modname}.{head}" if mod.modname else head
        else:
            base = head
        full = f"{base}.{rest}" if rest else base
        return canonical(full)

    def resolve_expr(self, expr: ast.AST, mod: ModuleInfo) -> Resolved | None:
        return self.resolve(self.qualify(expr, mod), mod)

    def is_async_def(self, qualname: str | None, near: ModuleInfo) -> FunctionInfo | None:
        found = self.resolve(qualname, near)
        func = found.function if found else None
        return func if func is not None and func.is_async else None

    # -- versions and pytest-asyncio environment ------------------------------------------------
    def version(self, name: str, mod: ModuleInfo) -> DetectedVersion:
        """The version of a distribution the project uses (installed, pinned, else newest)."""
        key = (name, mod.rootdir)
        if self.recorder is not None:
            self.recorder.touch("version", name, str(mod.rootdir))
        found = self._versions.get(key)
        if found is None:
            found = self._version_for(name, mod.rootdir)
            self._versions[key] = found
        return found

    def asyncio_env(self, mod: ModuleInfo) -> AsyncioEnv:
        env = self._envs.get(mod.rootdir)
        if env is None:
            settings = self.settings(mod.path)
            env = AsyncioEnv(settings, self.version("pytest-asyncio", mod))
            self._envs[mod.rootdir] = env
        return env

    # -- fixtures --------------------------------------------------------------------------------
    def conftests(self, mod: ModuleInfo) -> list[ModuleInfo]:
        """conftest.py files that apply to ``mod``, nearest first, up to its rootdir."""
        found: list[ModuleInfo] = []
        directory = mod.path.parent
        rootdir = mod.rootdir
        while True:
            conftest = directory / "conftest.py"
            if conftest != mod.path:
                if self.recorder is not None:
                    self.recorder.touch("file", str(conftest.absolute()))
                loaded = self.module(conftest) if conftest.is_file() else None
                if loaded is not None:
                    found.append(loaded)
            if directory == rootdir or directory == directory.parent:
                break
            if rootdir not in directory.parents:
                break
            directory = directory.parent
        return found

    def plugin_modules(self, mod: ModuleInfo) -> list[ModuleInfo]:
        """Modules named by ``pytest_plugins`` in the applicable conftests and by ``-p``."""
        names: list[str] = []
        for source in [mod, *self.conftests(mod)]:
            names.extend(source.pytest_plugins)
        names.extend(self.settings(mod.path).plugins)
        out: list[ModuleInfo] = []
        for name in names:
            found = self.find_module(name, mod)
            if found is not None and found not in out:
                out.append(found)
        return out

    def fixture_layers(
        self, mod: ModuleInfo, cls: ClassInfo | None = None
    ) -> list[dict[str, FixtureDef]]:
        """Fixture definitions visible from a test location, nearest layer first."""
        layers: list[dict[str, FixtureDef]] = []
        if cls is not None:
            layers.append(self._own_fixtures(cls, mod))
        for source in [mod, *self.conftests(mod), *self.plugin_modules(mod)]:
            layers.append(self._own_fixtures(source, source))
        return layers

    def _own_fixtures(
        self, owner: ModuleInfo | ClassInfo, mod: ModuleInfo
    ) -> dict[str, FixtureDef]:
        """Fixtures defined right in a module or class, built once: rebuilding them for every
        test made a file with 40,000 tests and fixtures quadratic (minutes per megabyte)."""
        key = ("own_fixtures", id(owner))
        cached = self.memo.get(key)
        if cached is not None and cached[0] is owner:  # type: ignore[index]
            return cached[1]  # type: ignore[index]
        if isinstance(owner, ClassInfo):
            funcs = [m for m in owner.methods.values() if m.fixture is not None]
        else:
            funcs = [
                f
                for f in owner.functions.values()
                if f.fixture is not None and f.class_name is None
            ]
        layer = {f.fixture.name: FixtureDef(f, f.fixture, mod) for f in funcs}  # type: ignore[union-attr]
        autouse = [d for d in layer.values() if d.info.autouse]
        self.memo[key] = (owner, layer)
        self._autouse_of[id(layer)] = (layer, autouse)
        return layer

    def _autouse(self, layer: dict[str, FixtureDef]) -> list[FixtureDef]:
        cached = self._autouse_of.get(id(layer))
        if cached is not None and cached[0] is layer:
            return cached[1]
        return [d for d in layer.values() if d.info.autouse]

    def lookup_fixture(
        self,
        name: str,
        layers: list[dict[str, FixtureDef]],
        requested_by: FixtureDef | None = None,
    ) -> FixtureDef | None:
        """pytest's lookup: nearest definition, or the next outer one for a same-name override."""
        skipping = requested_by is not None and requested_by.name == name
        for layer in layers:
            fixture = layer.get(name)
            if fixture is None:
                continue
            if skipping:
                if fixture.func is requested_by.func:  # type: ignore[union-attr]
                    skipping = False
                continue
            return fixture
        return None

    def class_of(self, func: FunctionInfo, mod: ModuleInfo) -> ClassInfo | None:
        return mod.classes.get(func.class_name) if func.class_name else None

    def closure(self, func: FunctionInfo, mod: ModuleInfo) -> list[FixtureUse]:
        """Every fixture a test (or fixture) uses: params, usefixtures, autouse, transitively."""
        memo_key = ("closure", id(func.node))
        cached = self.memo.get(memo_key)
        if cached is not None:
            return cached  # type: ignore[return-value]
        result = self._closure(func, mod)
        self.memo[memo_key] = result
        return result

    def _closure(self, func: FunctionInfo, mod: ModuleInfo) -> list[FixtureUse]:
        cls = self.class_of(func, mod)
        layers = self.fixture_layers(mod, cls)
        seen: dict[int, FixtureUse] = {}
        queue: list[tuple[str, tuple[str, ...], FixtureDef | None]] = []
        own = FixtureDef(func, func.fixture, mod) if func.fixture else None
        for param in func.params:
            queue.append((param, (param,), own))
        for mark in self.marks_for(func, mod):
            if mark.name == "usefixtures":
                for name in mark.str_args():
                    queue.append((name, (name,), None))
        for name in _getfixturevalue_names(func.node):
            queue.append((name, (name,), None))
        if func.is_test:
            for layer in reversed(layers):
                for fixture in self._autouse(layer):
                    queue.append((fixture.name, (fixture.name,), None))
        while queue:
            name, chain, requester = queue.pop(0)
            if name == "request":
                continue
            fixture = self.lookup_fixture(name, layers, requester)
            if fixture is None or id(fixture.func) in seen:
                continue
            seen[id(fixture.func)] = FixtureUse(fixture, chain)
            for param in fixture.func.params:
                queue.append((param, (*chain, param), fixture))
        return list(seen.values())

    def param_fixture(self, func: FunctionInfo, mod: ModuleInfo, param: str) -> FixtureDef | None:
        cls = self.class_of(func, mod)
        own = FixtureDef(func, func.fixture, mod) if func.fixture else None
        return self.lookup_fixture(param, self.fixture_layers(mod, cls), own)

    # -- marks and loop scopes -------------------------------------------------------------------
    def marks_for(self, func: FunctionInfo, mod: ModuleInfo) -> list[Mark]:
        """Marks on the function, then its class, then the module's ``pytestmark``."""
        marks = list(func.marks)
        cls = self.class_of(func, mod)
        if cls is not None:
            marks.extend(cls.marks)
        marks.extend(mod.pytestmark)
        return marks

    def async_runner(self, func: FunctionInfo, mod: ModuleInfo) -> str | None:
        """Which plugin runs an ``async def`` test: "asyncio", "anyio", "trio", or None (nobody)."""
        names = {m.name for m in self.marks_for(func, mod)}
        if "anyio" in names:
            return "anyio"
        if "trio" in names:
            return "trio"
        if "asyncio" in names:
            return "asyncio"
        env = self.asyncio_env(mod)
        if env.mode == "auto" and env.plugin_active:
            return "asyncio"
        settings = env.settings
        if "trio" in settings.raw.get("trio_mode", "") or settings.raw.get("trio_mode") == "true":
            return "trio"
        return None

    def user_event_loop(self, func: FunctionInfo, mod: ModuleInfo) -> FixtureDef | None:
        cls = self.class_of(func, mod)
        return self.lookup_fixture("event_loop", self.fixture_layers(mod, cls))

    def test_loop_scope(self, func: FunctionInfo, mod: ModuleInfo) -> str:
        env = self.asyncio_env(mod)
        if env.legacy_event_loop:
            loop = self.user_event_loop(func, mod)
            return loop.info.scope if loop else "function"
        for mark in self.marks_for(func, mod):
            if mark.name == "asyncio":
                scope = mark.kwarg_str("loop_scope") or mark.kwarg_str("scope")
                if scope:
                    return scope
        scope = self._default_test_loop_scope(env)
        custom = self.custom_event_loop(scope, func, mod)
        return custom.info.scope if custom is not None else scope

    def custom_event_loop(
        self, scope: str, func: FunctionInfo, mod: ModuleInfo
    ) -> FixtureDef | None:
        """The project's own ``event_loop`` fixture when function-loop code runs on it.

        pytest-asyncio 0.23-0.25 still runs function-loop tests and fixtures on a custom
        ``event_loop`` (deprecated, but used: runtime facts scenario a), while wider loop scopes
        get the plugin's own loops; 1.0 ignores the fixture. Callers that compare loop
        identities must tell this loop apart from the plugin's loop of the same scope.
        """
        env = self.asyncio_env(mod)
        if scope != "function" or env.legacy_event_loop or env.version.at_least(1, 0):
            return None
        loop = self.user_event_loop(func, mod)
        return loop if loop is not None and loop.info.scope != "dynamic" else None

    @staticmethod
    def _default_test_loop_scope(env: AsyncioEnv) -> str:
        """``asyncio_default_test_loop_scope`` exists from pytest-asyncio 0.26.0 on."""
        if env.version.at_least(0, 26):
            return env.settings.default_test_loop_scope or "function"
        return "function"

    def raw_fixture_loop_scope(self, fixture: FixtureDef) -> str:
        """The loop scope pytest-asyncio computes before any custom ``event_loop`` applies."""
        env = self.asyncio_env(fixture.module)
        if fixture.info.explicit_loop_scope:
            return fixture.info.explicit_loop_scope
        # The ini key exists from pytest-asyncio 0.24.0 on; older versions ignore it.
        default = env.settings.default_fixture_loop_scope if env.version.at_least(0, 24) else None
        if (
            default
            and default != "fixture-scope"
            and not (fixture.info.legacy_scope_on_asyncio and not env.version.at_least(0, 24))
        ):
            return default
        return fixture.info.scope

    def raw_test_loop_scope(self, func: FunctionInfo, mod: ModuleInfo) -> str:
        for mark in self.marks_for(func, mod):
            if mark.name == "asyncio":
                scope = mark.kwarg_str("loop_scope") or mark.kwarg_str("scope")
                if scope:
                    return scope
        return self._default_test_loop_scope(self.asyncio_env(mod))

    def fixture_loop_scope(self, fixture: FixtureDef) -> str:
        env = self.asyncio_env(fixture.module)
        if env.legacy_event_loop:
            loop = self.user_event_loop(fixture.func, fixture.module)
            return loop.info.scope if loop else "function"
        scope = self.raw_fixture_loop_scope(fixture)
        custom = self.custom_event_loop(scope, fixture.func, fixture.module)
        return custom.info.scope if custom is not None else scope

    def fixture_runs_async(self, fixture: FixtureDef) -> bool:
        """True when pytest-asyncio runs this async fixture (decorator or auto mode)."""
        if not fixture.is_async:
            return False
        if fixture.info.kind == "pytest_asyncio":
            return True
        return self.asyncio_env(fixture.module).mode == "auto"

    def memoised(self, key: object, compute: Callable[[], T], while_computing: object = None) -> T:
        """An analysis computed once per run and shared by every file's view (``memo``).

        While ``compute`` runs, a recursive request for ``key`` gets ``while_computing``
        (routers that include each other, bindings that refer to themselves).
        """
        memo = self.memo
        if key in memo:
            return memo[key]  # type: ignore[return-value]
        memo.begin(key, while_computing)
        value = compute()
        memo[key] = value
        return value

    # -- iteration -------------------------------------------------------------------------------
    def scan(
        self, tokens: tuple[bytes, ...], rootdir: Path | None = None, tests_only: bool = False
    ) -> list[ModuleInfo]:
        """The checked modules whose text contains one of ``tokens``, in registration order.

        Whole-project analyses iterate this instead of ``modules``: ``tokens`` is what a module
        must contain to contribute (a necessary condition, like a rule's pre-filter), so the
        others are never parsed, and a cached result depends on the files that contain the
        tokens ("scan" facet) instead of on every file. Modules loaded on demand from outside
        the checked files are not scanned: the answer is the same for every file's view.
        ``rootdir`` and ``tests_only`` (test modules and conftests) narrow the files by path
        before any is parsed.
        """
        if self.recorder is not None:
            self.recorder.touch("scan", *(t.decode("latin-1") for t in tokens))
        recorder, self.recorder = self.recorder, None  # loading is not reading
        found: list[ModuleInfo] = []
        hits = self._scan_hits.get(tokens)
        if hits is None:  # the same for every view of the run: the checked files' texts
            hits = [p for p in self.deferred if text_contains(self.text_of(p), tokens)]
            self._scan_hits[tokens] = hits
        try:
            for path in hits:
                if rootdir is not None and self._settings_for(path.parent).rootdir != rootdir:
                    continue
                if tests_only and not self.is_test_path(path):
                    continue
                if path in self.deferred:
                    module = self._load(path)
                    if module is not None:
                        found.append(module)
        finally:
            self.recorder = recorder
        return found

    def is_test_path(self, path: Path) -> bool:
        """A test module or conftest, by name (as extraction decides it, without parsing)."""
        found = self._test_paths.get(path)
        if found is None:
            settings = self._settings_for(path.parent)
            found = path.name == "conftest.py" or is_test_file(path, settings.python_files)
            self._test_paths[path] = found
        return found

    def text_of(self, path: Path) -> bytes:
        data = self.texts.get(path)
        if data is None:
            try:
                data = path.read_bytes() if path.is_file() else b""
            except OSError:
                data = b""
            self.texts[path] = data
        return data

    def iter_tests(
        self, tokens: tuple[bytes, ...] | None = None
    ) -> Iterator[tuple[ModuleInfo, FunctionInfo]]:
        """Every test (in modules with one of ``tokens``, when given: see ``scan``)."""
        modules = list(self.modules.values()) if tokens is None else self.scan(tokens)
        for mod in modules:
            for func in mod.tests:
                yield mod, func

    def iter_fixtures(self) -> Iterator[FixtureDef]:
        """Every fixture in the checked files (a fixture's file always says ``fixture``)."""
        for mod in self.scan(FIXTURE_TOKENS):
            for func in mod.fixtures:
                yield FixtureDef(func, func.fixture, mod)  # type: ignore[arg-type]


class Memo(dict):  # type: ignore[type-arg]
    """The run's shared analyses (see ``ProjectIndex.memoised``); views wrap it to record
    what each entry was computed from (``loopdoctor.incremental.SharedMemo``)."""

    def begin(self, key: object, placeholder: object) -> None:
        """Hold ``placeholder`` under ``key`` while its value is computed."""
        self[key] = placeholder


#: A module defines a fixture only through a decorator spelled with ``fixture``.
FIXTURE_TOKENS = (b"fixture",)


def text_contains(data: bytes, tokens: tuple[bytes, ...]) -> bool:
    return any(token in data for token in tokens)


def _getfixturevalue_names(node: ast.AST) -> Iterable[str]:
    for child in walk(node):
        if (
            isinstance(child, ast.Call)
            and isinstance(child.func, ast.Attribute)
            and child.func.attr == "getfixturevalue"
            and child.args
            and isinstance(child.args[0], ast.Constant)
            and isinstance(child.args[0].value, str)
        ):
            yield child.args[0].value
