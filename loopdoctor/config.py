"""Settings: loopdoctor's own `[tool.loopdoctor]` table and the project's pytest config.

The pytest side mirrors `_pytest/config/findpaths.py` (pytest 9) on purpose: several rules
depend on the asyncio mode, and reading a different file than pytest would give wrong
findings. Only the stdlib is used (plus `tomli` on 3.10), so this module is cheap to import.
"""

from __future__ import annotations

import difflib
import functools
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = [
    "ConfigError",
    "LintSettings",
    "PytestSettings",
    "clear_caches",
    "find_pytest_config",
    "load_lint_settings",
    "load_pytest_settings",
]


class ConfigError(Exception):
    """Bad config; message names the file and the key. CLI exits 2."""


# --------------------------------------------------------------------------------------
# [tool.loopdoctor]
# --------------------------------------------------------------------------------------

_CODE_RE = re.compile(r"^LD\d{0,3}$")
_LIST_KEYS = ("select", "ignore", "extend-select", "exclude", "extend-exclude")
_CODE_KEYS = frozenset({"select", "ignore", "extend-select"})
_KNOWN_KEYS = (*_LIST_KEYS, "per-file-ignores")


@dataclass(frozen=True)
class LintSettings:
    """Resolved `[tool.loopdoctor]` settings; unset keys are empty (select: None)."""

    select: tuple[str, ...] | None
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    config_file: Path | None = None
    project_root: Path = field(default_factory=Path.cwd)


def _read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning every failure into a ConfigError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # The message carries "(at line N, column M)".
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc


def _tool_table(doc: Mapping[str, Any], tool: str) -> Any:
    """Return doc["tool"][tool] or None, tolerating a non-table `tool`."""
    tools = doc.get("tool")
    if not isinstance(tools, dict):
        return None
    return tools.get(tool)


def _str_list(value: object, path: Path, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            f"{path}: [tool.loopdoctor] `{key}` must be a list of strings, "
            f"got {type(value).__name__}: {value!r}"
        )
    return tuple(value)


def _check_codes(codes: tuple[str, ...], path: Path, key: str) -> None:
    for code in codes:
        if code != "ALL" and not _CODE_RE.match(code):
            hint = ""
            if _CODE_RE.match(code.strip().upper()) or code.strip().upper() == "ALL":
                hint = f" (did you mean {code.strip().upper()!r}?)"
            raise ConfigError(
                f"{path}: [tool.loopdoctor] `{key}`: {code!r} is not a rule code or prefix "
                f"(expected e.g. 'LD', 'LD3', 'LD301' or 'ALL'){hint}"
            )


def _parse_lint_table(table: object, path: Path) -> LintSettings:
    """Validate the raw table; every error names the file and the key."""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.loopdoctor] must be a table")
    values: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = raw_key.replace("_", "-")
        if key not in _KNOWN_KEYS:
            close = difflib.get_close_matches(key, _KNOWN_KEYS, n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            known = ", ".join(_KNOWN_KEYS)
            raise ConfigError(
                f"{path}: unknown key `{raw_key}` in [tool.loopdoctor]{hint}; known keys: {known}"
            )
        if key in values:
            raise ConfigError(f"{path}: [tool.loopdoctor] `{key}` is given twice (- and _)")
        values[key] = value

    lists: dict[str, tuple[str, ...]] = {}
    for key in _LIST_KEYS:
        if key in values:
            lists[key] = _str_list(values[key], path, key)
            if key in _CODE_KEYS:
                _check_codes(lists[key], path, key)

    per_file: dict[str, tuple[str, ...]] = {}
    if "per-file-ignores" in values:
        pfi = values["per-file-ignores"]
        if not isinstance(pfi, dict):
            raise ConfigError(
                f"{path}: [tool.loopdoctor] `per-file-ignores` must be a table of "
                f'glob = ["CODE", ...], got {type(pfi).__name__}'
            )
        for glob, codes in pfi.items():
            sub = f"per-file-ignores.{glob!r}"
            per_file[glob] = _str_list(codes, path, sub)
            _check_codes(per_file[glob], path, sub)

    return LintSettings(
        select=lists.get("select"),
        ignore=lists.get("ignore", ()),
        extend_select=lists.get("extend-select", ()),
        exclude=lists.get("exclude", ()),
        extend_exclude=lists.get("extend-exclude", ()),
        per_file_ignores=per_file,
        config_file=path,
        project_root=path.parent,
    )


def load_lint_settings(start: Path, explicit: Path | None = None) -> LintSettings:
    """Load `[tool.loopdoctor]` from `explicit`, else the nearest pyproject.toml that has it.

    A pyproject.toml without the table is skipped (a monorepo's inner package may not
    configure loopdoctor while the repo root does).
    """
    if explicit is not None:
        path = Path(explicit).absolute()
        if not path.is_file():
            raise ConfigError(f"{path}: config file does not exist")
        doc = _read_toml(path)
        table = _tool_table(doc, "loopdoctor")
        if table is None:
            table = {} if path.name == "pyproject.toml" else doc
        return _parse_lint_table(table, path)

    start = Path(start).absolute()
    directory = start if start.is_dir() else start.parent
    for base in (directory, *directory.parents):
        candidate = base / "pyproject.toml"
        if candidate.is_file():
            table = _tool_table(_read_toml(candidate), "loopdoctor")
            if table is not None:
                return _parse_lint_table(table, candidate)
    return LintSettings(select=None, project_root=directory)


# --------------------------------------------------------------------------------------
# pytest / pytest-asyncio settings
# --------------------------------------------------------------------------------------

_DEFAULT_PYTHON_FILES = ("test_*.py", "*_test.py")
_ASYNCIO_MODES = ("strict", "auto")
_LOOP_SCOPES = ("function", "class", "module", "package", "session")


@dataclass(frozen=True)
class PytestSettings:
    """The pytest settings loopdoctor's rules depend on, read the way pytest reads them."""

    config_file: Path | None
    rootdir: Path
    asyncio_mode: str = "strict"
    asyncio_mode_explicit: bool = False
    default_fixture_loop_scope: str | None = None
    default_test_loop_scope: str | None = None
    plugins: tuple[str, ...] = ()
    disabled_plugins: tuple[str, ...] = ()
    python_files: tuple[str, ...] = _DEFAULT_PYTHON_FILES
    python_classes: tuple[str, ...] = ("Test",)
    python_functions: tuple[str, ...] = ("test",)
    testpaths: tuple[str, ...] = ()
    markers_declared: tuple[str, ...] = ()
    raw: Mapping[str, str | list[str]] = field(default_factory=dict)

    def uses_asyncio_config(self) -> bool:
        """True when any asyncio_* key is set (the project configures pytest-asyncio)."""
        return self.asyncio_mode_explicit or any(k.startswith("asyncio_") for k in self.raw)


def _parse_ini(path: Path) -> dict[str, dict[str, str]]:
    """Parse an ini file like `iniconfig` (pytest's parser), not like configparser.

    Differences that matter: `#`/`;` only start whole-line comments, continuation lines
    are joined with newlines, duplicate keys/sections are errors.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    text = text.removeprefix("\ufeff")
    sections: dict[str, dict[str, str]] = {}
    section: str | None = None
    last: list[str] | None = None
    pending: list[tuple[str, str, list[str]]] = []

    def fail(lineno: int, msg: str) -> ConfigError:
        return ConfigError(f"{path}:{lineno + 1}: invalid ini: {msg}")

    for lineno, line in enumerate(text.splitlines()):
        if line.lstrip()[:1] in ("#", ";"):
            continue
        line = line.rstrip()
        if not line:
            continue
        if line[0] == "[":
            head = line
            for c in "#;":
                head = head.split(c)[0].rstrip()
            if head.endswith("]"):
                name = head[1:-1]
                if not name:
                    raise fail(lineno, "empty section name")
                if name in sections:
                    raise fail(lineno, f"duplicate section {name!r}")
                section = name
                sections[name] = {}
                last = None
                continue
            # iniconfig treats a malformed header as a continuation line
            if last is None:
                raise fail(lineno, "unexpected value continuation")
            last.append(line.strip())
        elif not line[0].isspace():
            key, sep, value = line.partition("=")
            if not sep or ":" in key:
                key, sep, value = line.partition(":")
                if not sep:
                    raise fail(lineno, f"unexpected line: {line!r}")
            key, value = key.strip(), value.strip()
            if section is None:
                raise fail(lineno, "no section header defined")
            if key in sections[section]:
                raise fail(lineno, f"duplicate name {key!r}")
            last = [value] if value else []
            sections[section][key] = ""  # placeholder keeps duplicate detection simple
            pending.append((section, key, last))
        else:
            if last is None:
                raise fail(lineno, "unexpected value continuation")
            last.append(line.strip())
    for sec, key, parts in pending:
        sections[sec][key] = "\n".join(parts)
    return sections


def _ini_options_from_toml(path: Path, doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """pyproject.toml: `[tool.pytest]` (native, pytest 9) or `[tool.pytest.ini_options]`."""
    tool_pytest = _tool_table(doc, "pytest")
    if not isinstance(tool_pytest, dict):
        return None
    native = {k: v for k, v in tool_pytest.items() if k != "ini_options"}
    ini = tool_pytest.get("ini_options")
    if native and ini is not None:
        raise ConfigError(
            f"{path}: cannot use both [tool.pytest] and [tool.pytest.ini_options] (pytest refuses)"
        )
    if native:
        return native
    if ini is not None:
        if not isinstance(ini, dict):
            raise ConfigError(f"{path}: [tool.pytest.ini_options] must be a table")
        return dict(ini)
    return None


def _pytest_table_from_toml(path: Path, doc: Mapping[str, Any]) -> dict[str, Any]:
    """pytest.toml / .pytest.toml: the `[pytest]` table; always a hit, even if empty."""
    table = doc.get("pytest")
    if isinstance(table, dict):
        return dict(table)
    top = [k for k, v in doc.items() if not isinstance(v, dict)]
    if top:
        raise ConfigError(
            f"{path}: pytest configuration must be under a [pytest] table "
            f"(found top-level options: {', '.join(top)})"
        )
    return {}


def _load_candidate(path: Path) -> dict[str, Any] | None:
    """Return the pytest options in `path`, or None when pytest would not use this file."""
    name = path.name
    if name in ("pytest.toml", ".pytest.toml"):
        return _pytest_table_from_toml(path, _read_toml(path))
    if name in ("pytest.ini", ".pytest.ini"):
        return dict(_parse_ini(path).get("pytest", {}))
    if name == "pyproject.toml":
        return _ini_options_from_toml(path, _read_toml(path))
    if name == "tox.ini":
        sections = _parse_ini(path)
        return dict(sections["pytest"]) if "pytest" in sections else None
    if name == "setup.cfg":
        sections = _parse_ini(path)
        if "tool:pytest" in sections:
            return dict(sections["tool:pytest"])
        if "pytest" in sections:
            raise ConfigError(
                f"{path}: [pytest] section in setup.cfg files is no longer supported by "
                "pytest, change to [tool:pytest]"
            )
        return None
    return None  # pragma: no cover - only called with the names below


# Precedence order within one directory, as in pytest 9's CONFIG_LOADERS_BY_NAME.
_PYTEST_CONFIG_NAMES = (
    "pytest.toml",
    ".pytest.toml",
    "pytest.ini",
    ".pytest.ini",
    "pyproject.toml",
    "tox.ini",
    "setup.cfg",
)


def _start_dir(start_dir: Path) -> Path:
    path = Path(start_dir).absolute()
    return path if path.is_dir() or not path.exists() else path.parent


@functools.lru_cache(maxsize=1024)
def _locate(directory: Path) -> tuple[Path | None, Mapping[str, Any]]:
    """Walk up like pytest's locate_config; fall back to the first pyproject.toml seen."""
    first_pyproject: Path | None = None
    for base in (directory, *directory.parents):
        for name in _PYTEST_CONFIG_NAMES:
            candidate = base / name
            if not candidate.is_file():
                continue
            if name == "pyproject.toml" and first_pyproject is None:
                first_pyproject = candidate
            options = _load_candidate(candidate)
            if options is not None:
                return candidate, options
    if first_pyproject is not None:
        # pytest >= 8.1 uses a bare pyproject.toml as rootdir/configfile with no options.
        return first_pyproject, {}
    return None, {}


@functools.lru_cache(maxsize=1024)
def find_pytest_config(start_dir: Path) -> Path | None:
    """The config file pytest would use when run from `start_dir` (or None)."""
    return _locate(_start_dir(start_dir))[0]


def _as_raw(value: object) -> str | list[str]:
    """Normalise to the ini data model: a string or a list of strings."""
    if isinstance(value, list):
        return [_as_raw_scalar(v) for v in value]
    return _as_raw_scalar(value)


def _as_raw_scalar(value: object) -> str:
    return str(value)  # pytest does the same for ini_options (True -> "True")


def _args(value: str | list[str] | None) -> list[str]:
    """pytest's "args" ini type: shlex-split a string, keep a list."""
    if value is None:
        return []
    if isinstance(value, list):
        return list(value)
    return shlex.split(value)


def _linelist(value: str | list[str] | None) -> list[str]:
    """pytest's "linelist" ini type: one entry per non-empty line."""
    if value is None:
        return []
    if isinstance(value, list):
        return [v.strip() for v in value if v.strip()]
    return [line.strip() for line in value.split("\n") if line.strip()]


def _requirement_name(spec: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
    return match.group(1) if match else spec.strip()


@dataclass
class _Addopts:
    plugins: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)
    asyncio_mode: str | None = None
    overrides: dict[str, str] = field(default_factory=dict)


def _scan_addopts(tokens: list[str]) -> _Addopts:
    """Pick out `-p`, `--asyncio-mode` and `-o key=value` the way argparse would read them."""
    out = _Addopts()
    i = 0

    def take_value(opt: str, token: str) -> tuple[str | None, int]:
        if token == opt:
            return (tokens[i + 1], 2) if i + 1 < len(tokens) else (None, 1)
        rest = token[len(opt) :]
        return rest[1:] if rest.startswith("=") else rest, 1

    while i < len(tokens):
        token = tokens[i]
        step = 1
        if token.startswith("-p") and not token.startswith("--"):
            value, step = take_value("-p", token)
            if value:
                if value.startswith("no:"):
                    out.disabled.append(value[3:])
                else:
                    out.plugins.append(value)
        elif token == "--asyncio-mode" or token.startswith("--asyncio-mode="):
            value, step = take_value("--asyncio-mode", token)
            if value is not None:
                out.asyncio_mode = value
        elif token == "--override-ini" or token.startswith("--override-ini="):
            value, step = take_value("--override-ini", token)
            if value and "=" in value:
                key, _, val = value.partition("=")
                out.overrides[key.strip()] = val
        elif token.startswith("-o") and not token.startswith("--"):
            value, step = take_value("-o", token)
            if value and "=" in value:
                key, _, val = value.partition("=")
                out.overrides[key.strip()] = val
        i += step
    return out


def _choice(value: object, choices: tuple[str, ...], path: Path | None, key: str) -> str:
    text = str(value).strip().lower()
    if text not in choices:
        raise ConfigError(
            f"{path}: pytest option `{key}` = {value!r} is invalid; expected one of "
            f"{', '.join(choices)}"
        )
    return text


@functools.lru_cache(maxsize=1024)
def load_pytest_settings(start_dir: Path) -> PytestSettings:
    """The project's pytest/pytest-asyncio settings from the file pytest would use.

    Precedence for asyncio_mode mirrors pytest-asyncio: `--asyncio-mode` (or `-o`) in
    addopts overrides the ini key, which overrides the default "strict".
    """
    directory = _start_dir(start_dir)
    config_file, options = _locate(directory)
    raw: dict[str, str | list[str]] = {k: _as_raw(v) for k, v in options.items()}
    addopts = _scan_addopts(_args(raw.get("addopts")))
    effective: dict[str, str | list[str]] = {**raw, **addopts.overrides}

    mode_value: object | None = effective.get("asyncio_mode")
    if addopts.asyncio_mode is not None:
        mode_value = addopts.asyncio_mode
    if mode_value is None:
        asyncio_mode, explicit = "strict", False
    else:
        asyncio_mode, explicit = (
            _choice(mode_value, _ASYNCIO_MODES, config_file, "asyncio_mode"),
            True,
        )

    def scope(key: str) -> str | None:
        value = effective.get(key)
        if value is None or value == "":
            return None
        return _choice(value, _LOOP_SCOPES, config_file, key)

    required = [_requirement_name(s) for s in _args(effective.get("required_plugins"))]
    python_files = _args(effective.get("python_files"))
    python_classes = _args(effective.get("python_classes"))
    python_functions = _args(effective.get("python_functions"))
    markers = [m.split(":", 1)[0].split("(", 1)[0].strip() for m in _linelist(raw.get("markers"))]

    return PytestSettings(
        config_file=config_file,
        rootdir=config_file.parent if config_file is not None else directory,
        asyncio_mode=asyncio_mode,
        asyncio_mode_explicit=explicit,
        default_fixture_loop_scope=scope("asyncio_default_fixture_loop_scope"),
        default_test_loop_scope=scope("asyncio_default_test_loop_scope"),
        plugins=tuple(dict.fromkeys([*addopts.plugins, *required])),
        disabled_plugins=tuple(dict.fromkeys(addopts.disabled)),
        python_files=tuple(python_files) if "python_files" in effective else _DEFAULT_PYTHON_FILES,
        python_classes=tuple(python_classes) if "python_classes" in effective else ("Test",),
        python_functions=tuple(python_functions) if "python_functions" in effective else ("test",),
        testpaths=tuple(_args(effective.get("testpaths"))),
        markers_declared=tuple(m for m in markers if m),
        raw=raw,
    )


def clear_caches() -> None:
    """Forget cached pytest settings (tests and long-running callers that edit files)."""
    _locate.cache_clear()
    find_pytest_config.cache_clear()
    load_pytest_settings.cache_clear()
