"""Which version of a library the project uses, without importing it.

Rules whose advice depends on a version (SQLAlchemy's default pools, pytest-asyncio's loop
scopes) ask here. Order: the installed distribution, then pins in the project's files
(lock files first, then exact pins, then lower bounds of ranges), else assume the newest.
Every parser is lenient: a malformed project file is skipped, never fatal.
"""

from __future__ import annotations

import configparser
import functools
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = [
    "DetectedVersion",
    "canonicalize_name",
    "clear_cache",
    "declared_dependencies",
    "detect_version",
    "parse_version",
    "uses_distribution",
]


@dataclass(frozen=True)
class DetectedVersion:
    """A distribution's version and where it was learned (shown to users in messages)."""

    name: str
    version: tuple[int, ...] | None
    source: str

    def at_least(self, *v: int) -> bool:
        """True when the version is >= v; an unknown version counts as newest."""
        if self.version is None:
            return True
        width = max(len(self.version), len(v))
        mine = self.version + (0,) * (width - len(self.version))
        other = tuple(v) + (0,) * (width - len(v))
        return mine >= other

    def describe(self) -> str:
        """E.g. "pytest-asyncio 0.21.2 (pinned in pyproject.toml)"."""
        if self.version is None:
            return f"{self.name} ({self.source})"
        return f"{self.name} {'.'.join(map(str, self.version))} ({self.source})"


_CANON_RE = re.compile(r"[-_.]+")
_VERSION_RE = re.compile(r"^\s*[vV]?(?:\d+!)?(\d+(?:\.\d+)*)")


def canonicalize_name(name: str) -> str:
    """PEP 503 normalisation: `Pytest_Asyncio` -> `pytest-asyncio`."""
    return _CANON_RE.sub("-", name.strip()).lower()


def parse_version(text: str) -> tuple[int, ...] | None:
    """Leading release numbers only: "1.0.0a1" -> (1, 0, 0), "2!3.1" -> (3, 1)."""
    match = _VERSION_RE.match(text)
    if match is None:
        return None
    return tuple(int(part) for part in match.group(1).split("."))


_CLAUSE_RE = re.compile(r"^\s*(===|==|~=|>=|<=|!=|\^|~|>|<|=)?\s*([vV]?\d[^\s,]*|\*)\s*$")
_LOWER_BOUND_OPS = (">=", "~=", "^", "~", ">")


def _version_from_spec(spec: str) -> tuple[tuple[int, ...] | None, bool]:
    """(version, exact) from a specifier: `==` pins win, else a lower bound, else None."""
    lower: tuple[int, ...] | None = None
    for clause in spec.split(","):
        match = _CLAUSE_RE.match(clause)
        if match is None:
            continue
        op, text = match.group(1) or "==", match.group(2)
        if text == "*":
            continue
        version = parse_version(text)
        if version is None:
            continue
        if op in ("==", "===", "="):
            if "*" in text:  # ==0.21.* is a range starting at 0.21
                if len(version) >= 2:
                    # ...but one release series: installed 0.28 against it means loopdoctor runs
                    # outside the project's environment, so it counts as a pin.
                    return version, True
                lower = lower or version
                continue
            return version, True
        if op in _LOWER_BOUND_OPS and lower is None:
            lower = version
    return lower, False


@dataclass(frozen=True)
class _Pin:
    name: str  # canonical
    spec: str
    version: tuple[int, ...] | None
    exact: bool
    source: str  # file label relative to the project root
    locked: bool


_REQ_RE = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*(.*)$")


def _parse_requirement(line: str) -> tuple[str, str] | None:
    """PEP 508 line -> (canonical name, specifier text without extras and markers)."""
    line = line.split(";", 1)[0].strip()
    match = _REQ_RE.match(line)
    if match is None:
        return None
    rest = match.group(3).strip()
    if rest.startswith("@"):
        rest = ""  # direct URL reference: no version to read
    if rest.startswith("(") and rest.endswith(")"):
        rest = rest[1:-1].strip()
    if rest and not re.match(r"^(===|==|~=|>=|<=|!=|>|<)", rest):
        return None  # not a requirement (e.g. a stray word)
    return canonicalize_name(match.group(1)), rest


def _pin(name: str, spec: str, source: str, *, locked: bool = False) -> _Pin:
    version, exact = _version_from_spec(spec)
    return _Pin(canonicalize_name(name), spec.strip(), version, exact or locked, source, locked)


def _label(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _read_toml(path: Path) -> dict[str, Any] | None:
    text = _read_text(path)
    if text is None:
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None


def _pins_from_pep508_list(items: object, source: str) -> Iterator[_Pin]:
    if not isinstance(items, list):
        return
    for item in items:
        if isinstance(item, str):
            parsed = _parse_requirement(item)
            if parsed is not None:
                yield _pin(parsed[0], parsed[1], source)


def _poetry_spec(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        version = value.get("version")
        return version if isinstance(version, str) else ""
    if isinstance(value, list):  # multiple constraints: the first with a version
        for item in value:
            spec = _poetry_spec(item)
            if spec:
                return spec
        return ""
    return None


def _pins_from_poetry_table(table: object, source: str) -> Iterator[_Pin]:
    if not isinstance(table, dict):
        return
    for name, value in table.items():
        if name.lower() == "python":
            continue
        spec = _poetry_spec(value)
        if spec is not None:
            yield _pin(name, spec, source)


def _pins_from_pyproject(path: Path, root: Path) -> Iterator[_Pin]:
    doc = _read_toml(path)
    if doc is None:
        return
    source = _label(path, root)
    project = doc.get("project")
    if isinstance(project, dict):
        yield from _pins_from_pep508_list(project.get("dependencies"), source)
        optional = project.get("optional-dependencies")
        if isinstance(optional, dict):
            for items in optional.values():
                yield from _pins_from_pep508_list(items, source)
    groups = doc.get("dependency-groups")
    if isinstance(groups, dict):
        for items in groups.values():
            yield from _pins_from_pep508_list(items, source)
    tool = doc.get("tool")
    if not isinstance(tool, dict):
        return
    poetry = tool.get("poetry")
    if isinstance(poetry, dict):
        yield from _pins_from_poetry_table(poetry.get("dependencies"), source)
        yield from _pins_from_poetry_table(poetry.get("dev-dependencies"), source)
        poetry_groups = poetry.get("group")
        if isinstance(poetry_groups, dict):
            for group in poetry_groups.values():
                if isinstance(group, dict):
                    yield from _pins_from_poetry_table(group.get("dependencies"), source)
    pdm = tool.get("pdm")
    if isinstance(pdm, dict) and isinstance(pdm.get("dev-dependencies"), dict):
        for items in pdm["dev-dependencies"].values():
            yield from _pins_from_pep508_list(items, source)
    uv = tool.get("uv")
    if isinstance(uv, dict):
        yield from _pins_from_pep508_list(uv.get("dev-dependencies"), source)


_INCLUDE_RE = re.compile(r"^(?:-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?=\S))(\S+)")


def _pins_from_requirements(
    path: Path, root: Path, seen: set[Path], depth: int = 0
) -> Iterator[_Pin]:
    """requirements.txt lines, following -r/-c includes a few levels deep."""
    real = path.resolve()
    if real in seen or depth > 3:
        return
    seen.add(real)
    text = _read_text(path)
    if text is None:
        return
    source = _label(path, root)
    for line in text.replace("\\\n", " ").splitlines():
        line = re.split(r"(?:^|\s)#", line, maxsplit=1)[0].strip()
        if not line:
            continue
        if line.startswith("-"):
            match = _INCLUDE_RE.match(line)
            if match:
                include = Path(os.path.normpath(path.parent / match.group(1)))
                yield from _pins_from_requirements(include, root, seen, depth + 1)
            continue
        if "://" in line and "@" not in line:
            continue
        parsed = _parse_requirement(line)
        if parsed is not None:
            yield _pin(parsed[0], parsed[1], source)


def _pins_from_setup_cfg(path: Path, root: Path) -> Iterator[_Pin]:
    text = _read_text(path)
    if text is None:
        return
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error:
        return
    source = _label(path, root)
    values: list[str] = []
    if parser.has_section("options"):
        for key in ("install_requires", "tests_require"):
            values.append(parser.get("options", key, fallback=""))
    if parser.has_section("options.extras_require"):
        values.extend(v for _, v in parser.items("options.extras_require"))
    for value in values:
        yield from _pins_from_pep508_list([s for s in value.splitlines() if s.strip()], source)


def _pins_from_pipfile(path: Path, root: Path) -> Iterator[_Pin]:
    doc = _read_toml(path)
    if doc is None:
        return
    source = _label(path, root)
    for table in ("packages", "dev-packages"):
        for pin in _pins_from_poetry_table(doc.get(table), source):
            spec = "" if pin.spec == "*" else pin.spec
            yield _pin(pin.name, spec, source)


def _pins_from_toml_lock(path: Path, root: Path) -> Iterator[_Pin]:
    """poetry.lock, uv.lock and pdm.lock all list `[[package]] name = .. version = ..`."""
    doc = _read_toml(path)
    if doc is None:
        return
    source = _label(path, root)
    packages = doc.get("package")
    if not isinstance(packages, list):
        return
    for package in packages:
        if not isinstance(package, dict):
            continue
        name, version = package.get("name"), package.get("version")
        if isinstance(name, str) and isinstance(version, str):
            yield _pin(name, "==" + version, source, locked=True)


def _pins_from_pipfile_lock(path: Path, root: Path) -> Iterator[_Pin]:
    text = _read_text(path)
    if text is None:
        return
    try:
        doc = json.loads(text)
    except ValueError:
        return
    if not isinstance(doc, dict):
        return
    source = _label(path, root)
    for section in ("default", "develop"):
        table = doc.get(section)
        if not isinstance(table, dict):
            continue
        for name, info in table.items():
            version = info.get("version") if isinstance(info, dict) else None
            if isinstance(version, str):
                yield _pin(name, version, source, locked=True)


def _requirement_files(root: Path) -> list[Path]:
    found = sorted(p for p in root.glob("*requirements*.txt") if p.is_file())
    req_dir = root / "requirements"
    if req_dir.is_dir():
        found += sorted(p for p in req_dir.glob("*.txt") if p.is_file())
    return found


@functools.lru_cache(maxsize=64)
def _collect(root: Path) -> tuple[_Pin, ...]:
    """Every pin in the project's files, declaration files first, then lock files."""
    pins: list[_Pin] = []
    if (root / "pyproject.toml").is_file():
        pins.extend(_pins_from_pyproject(root / "pyproject.toml", root))
    seen: set[Path] = set()
    for path in _requirement_files(root):
        pins.extend(_pins_from_requirements(path, root, seen))
    if (root / "setup.cfg").is_file():
        pins.extend(_pins_from_setup_cfg(root / "setup.cfg", root))
    if (root / "Pipfile").is_file():
        pins.extend(_pins_from_pipfile(root / "Pipfile", root))
    for lock in ("poetry.lock", "uv.lock", "pdm.lock"):
        if (root / lock).is_file():
            pins.extend(_pins_from_toml_lock(root / lock, root))
    if (root / "Pipfile.lock").is_file():
        pins.extend(_pins_from_pipfile_lock(root / "Pipfile.lock", root))
    return tuple(pins)


def _root(project_root: Path) -> Path:
    return Path(os.path.abspath(project_root))


def _project_pins(root: Path) -> tuple[_Pin, ...]:
    """Pins at ``root``, else in the nearest parent that declares any (pytest config may live
    in ``tests/`` while the pins sit in the repository root), stopping at a VCS root."""
    directory = root
    for _ in range(6):
        pins = _collect(directory)
        if (
            pins
            or directory.parent == directory
            or any((directory / marker).exists() for marker in _PROJECT_MARKERS)
        ):
            return pins
        directory = directory.parent
    return ()


#: A directory holding one of these is a project root: pins are never looked for above it.
_PROJECT_MARKERS = (".git", "pyproject.toml", "setup.py", "setup.cfg", "tox.ini", ".hg")


def declared_dependencies(project_root: Path) -> dict[str, str]:
    """Canonical name -> specifier text ("" when unconstrained) from declaration files.

    Lock files are left out: they list transitive dependencies the project never chose.
    """
    declared: dict[str, str] = {}
    for pin in _collect(_root(project_root)):
        if pin.locked:
            continue
        if pin.name not in declared or (not declared[pin.name] and pin.spec):
            declared[pin.name] = pin.spec
    return declared


def uses_distribution(name: str, project_root: Path) -> bool:
    """True when the project declares `name` in any of its dependency files."""
    return canonicalize_name(name) in declared_dependencies(project_root)


def _installed_version(name: str) -> str | None:
    """Version of the distribution in the running environment, read from its metadata."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
    except Exception:  # pragma: no cover - broken metadata must not crash the linter
        return None


def _best_pin(name: str, pins: tuple[_Pin, ...]) -> _Pin | None:
    candidates = [p for p in pins if p.name == name and p.version is not None]
    for wanted in (
        lambda p: p.locked,
        lambda p: p.exact,
        lambda p: True,
    ):
        for pin in candidates:
            if wanted(pin):
                return pin
    return None


@functools.lru_cache(maxsize=256)
def _detect(
    name: str, root: Path, installed: Callable[[str], str | None] | None
) -> DetectedVersion:
    pin = _best_pin(name, _project_pins(root))
    lookup = installed if installed is not None else _installed_version
    found = lookup(name)
    if found is not None:
        version = parse_version(found)
        # An exact pin or a lock that disagrees with what is installed means loopdoctor runs
        # outside the project's environment (pre-commit, a tool venv): the pin is what the
        # project uses.
        if version is not None and not (
            pin is not None and (pin.exact or pin.locked) and pin.version[:2] != version[:2]  # type: ignore[index]
        ):
            return DetectedVersion(name, version, "installed")
    if pin is not None:
        source = f"pinned in {pin.source}"
        if not pin.exact:
            source += f" ({pin.spec})"
        return DetectedVersion(name, pin.version, source)
    return DetectedVersion(name, None, "assumed newest")


def detect_version(
    name: str,
    project_root: Path,
    *,
    installed: Callable[[str], str | None] | None = None,
) -> DetectedVersion:
    """The version of distribution `name` the project runs with (see module docstring)."""
    return _detect(canonicalize_name(name), _root(project_root), installed)


def clear_cache() -> None:
    """Forget cached results (tests, or a long-running process whose files changed)."""
    _collect.cache_clear()
    _detect.cache_clear()
