"""Which files to check: excludes, virtualenvs, .gitignore; explicit file arguments win.

A hand-written gitignore matcher keeps the linter free of third-party dependencies here.
The walk never raises for a bad subtree: unreadable parts become DiscoveryError entries
so every other file is still checked.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = [
    "DEFAULT_EXCLUDES",
    "Discovered",
    "DiscoveryError",
    "MissingPathError",
    "discover",
    "is_excluded",
]

DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "__pycache__",
    "build",
    "dist",
    ".eggs",
    "*.egg-info",
    "node_modules",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".loopdoctor_cache",
    "site-packages",
    "__pypackages__",
    "_build",
    "buck-out",
    ".direnv",
)


@dataclass(frozen=True)
class DiscoveryError:
    """A path that could not be examined, with a one-line human reason."""

    path: Path
    reason: str


@dataclass(frozen=True)
class Discovered:
    """Files to check (sorted, unique, absolute) and the paths that failed."""

    files: list[Path]
    errors: list[DiscoveryError]


class MissingPathError(Exception):
    """A path argument that does not exist; the CLI exits 2."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path}: no such file or directory")
        self.path = path


# --------------------------------------------------------------------------------------
# gitignore-style patterns
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    negate: bool
    dir_only: bool


def _translate_class(pattern: str, i: int) -> tuple[str, int] | None:
    """Translate `[...]` starting at pattern[i] == '['; None when unterminated."""
    j = i + 1
    if j < len(pattern) and pattern[j] in "!^":
        j += 1
    if j < len(pattern) and pattern[j] == "]":
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        j += 1
    if j >= len(pattern):
        return None
    body = pattern[i + 1 : j]
    negate = body[:1] in ("!", "^")
    if negate:
        body = body[1:]
    body = body.replace("\\", "\\\\").replace("[", "\\[")
    if body.startswith("]"):
        body = "\\" + body
    # a character class never matches the separator
    return ("[^/" + body + "]" if negate else "(?!/)[" + body + "]"), j + 1


def _translate(pattern: str) -> str:
    """Glob (with gitignore's `**`) to a regex over a `/`-separated relative path."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                at_start = i == 0 or pattern[i - 1] == "/"
                if at_start and pattern.startswith("**/", i):
                    out.append("(?:.*/)?")
                    i += 3
                    continue
                if at_start and i + 2 == n:
                    out.append(".*")
                    i += 2
                    continue
                out.append("[^/]*")  # `**` not delimited by slashes acts like `*`
                i += 2
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            translated = _translate_class(pattern, i)
            if translated is None:
                out.append(re.escape(c))
            else:
                out.append(translated[0])
                i = translated[1]
                continue
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


@lru_cache(maxsize=4096)
def _compile(line: str) -> _Rule | None:
    """One gitignore line to a rule; None for blanks and comments."""
    if not line.strip() or line.startswith("#"):
        return None
    # trailing spaces are ignored unless escaped
    stripped = line.rstrip(" \t")
    if stripped.endswith("\\") and len(line) > len(stripped):
        stripped += " "
    line = stripped
    negate = line.startswith("!")
    if negate or line.startswith("\\!") or line.startswith("\\#"):
        line = line[1:]
    dir_only = line.endswith("/")
    line = line.rstrip("/")
    if line.startswith("./"):
        line = line[2:]
    if not line:
        return None
    anchored = "/" in line
    line = line.lstrip("/")
    body = _translate(line)
    if not anchored:
        body = "(?:.*/)?" + body
    return _Rule(re.compile(body + r"\Z", re.DOTALL), negate, dir_only)


def _compile_all(lines: Iterable[str]) -> tuple[_Rule, ...]:
    return tuple(rule for rule in map(_compile, lines) if rule is not None)


def _match(rules: Sequence[_Rule], rel: str, is_dir: bool, current: bool | None) -> bool | None:
    """Apply rules in order (last match wins); returns ignored / not ignored / unknown."""
    for rule in rules:
        if rule.dir_only and not is_dir:
            continue
        if rule.regex.match(rel):
            current = not rule.negate
    return current


def _rel(path: Path, root: Path) -> str | None:
    try:
        rel = os.path.relpath(path, root)
    except ValueError:  # pragma: no cover - different drives on Windows
        return None
    if rel == "." or rel.startswith(".." + os.sep) or rel == "..":
        return None
    return rel.replace(os.sep, "/")


def _rel_fast(path: str, base: str) -> str | None:
    """Relative path by prefix; valid because walked paths are built by joining names."""
    prefix = base if base.endswith(os.sep) else base + os.sep
    if not path.startswith(prefix) or len(path) == len(prefix):
        return None
    rel = path[len(prefix) :]
    return rel if os.sep == "/" else rel.replace(os.sep, "/")


def is_excluded(path: Path, patterns: Sequence[str], root: Path) -> bool:
    """True when `path` or one of its parent directories (below root) matches a pattern.

    A pattern without a slash matches any path component (`build`, `*.egg-info`); one with
    a slash is a root-relative glob (`tests/fixtures`, `/docs/**/*.py`).
    """
    rules = _compile_all(patterns)
    if not rules:
        return False
    path = Path(os.path.abspath(path))
    root = Path(os.path.abspath(root))
    if path == root:
        return False
    rel = _rel(path, root)
    if rel is None:
        # outside root: component patterns still apply to the path's own name parts
        parts = [p for p in path.parts[1:] if p]
        rel = "/".join(parts)
        if not rel:
            return False
    parts = rel.split("/")
    last_is_dir = path.is_dir()
    for i in range(1, len(parts) + 1):
        prefix = "/".join(parts[:i])
        is_dir = i < len(parts) or last_is_dir
        if _match(rules, prefix, is_dir, None):
            return True
    return False


# --------------------------------------------------------------------------------------
# git context
# --------------------------------------------------------------------------------------


def _read_lines(path: Path) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read().splitlines()
    except OSError:
        return []


def _git_dir(repo_root: Path) -> Path | None:
    """The git dir of a work tree: `.git/` or the target of a `.git` file (worktrees)."""
    dot_git = repo_root / ".git"
    if dot_git.is_dir():
        return dot_git
    if dot_git.is_file():
        for line in _read_lines(dot_git):
            if line.startswith("gitdir:"):
                target = Path(line[len("gitdir:") :].strip())
                return target if target.is_absolute() else repo_root / target
    return None


def _repo_root(directory: Path) -> Path | None:
    for base in (directory, *directory.parents):
        if (base / ".git").exists():
            return base
    return None


@dataclass(frozen=True)
class _Ignores:
    """The gitignore rules in effect for a directory: (base dir, rules) outermost first."""

    layers: tuple[tuple[str, tuple[_Rule, ...]], ...] = ()

    def with_dir(self, directory: str) -> _Ignores:
        rules = _compile_all(_read_lines(Path(directory, ".gitignore")))
        return _Ignores((*self.layers, (directory, rules))) if rules else self

    def ignored(self, path: str, is_dir: bool) -> bool:
        result: bool | None = None
        for base, rules in self.layers:
            rel = _rel_fast(path, base)
            if rel is not None:
                result = _match(rules, rel, is_dir, result)
        return bool(result)


def _initial_ignores(directory: Path, root: Path) -> _Ignores:
    """Rules from the enclosing repo (info/exclude, parent .gitignore files) above `directory`.

    Outside a git repo, parent .gitignore files between `root` and `directory` still apply.
    """
    repo = _repo_root(directory)
    layers: list[tuple[str, tuple[_Rule, ...]]] = []
    top = repo
    if repo is not None:
        git_dir = _git_dir(repo)
        if git_dir is not None:
            rules = _compile_all(_read_lines(git_dir / "info" / "exclude"))
            if rules:
                layers.append((str(repo), rules))
    elif _rel(directory, root) is not None:
        top = root
    ignores = _Ignores(tuple(layers))
    if top is None:
        return ignores
    chain = [p for p in (directory, *directory.parents) if p == top or top in p.parents]
    for parent in reversed(chain[1:]):  # `directory` itself is read by the walk
        ignores = ignores.with_dir(str(parent))
    return ignores


# --------------------------------------------------------------------------------------
# the walk
# --------------------------------------------------------------------------------------


class _Walker:
    """Walks on plain strings: pathlib objects per entry cost more than the syscalls."""

    def __init__(self, patterns: Sequence[str], respect_gitignore: bool, root: Path) -> None:
        self.rules = _compile_all(patterns)
        self.respect_gitignore = respect_gitignore
        self.root = str(root)
        self.files: dict[str, str] = {}  # real path -> path to report
        self.errors: dict[str, str] = {}
        self.visited: set[str] = set()
        self.deferred_links: list[tuple[str, _Ignores]] = []

    def add_file(self, path: str, real: str | None = None) -> None:
        if real is None:
            real = os.path.realpath(path)
        known = self.files.get(real)
        if known is None or (path == real and known != real):
            self.files[real] = path  # prefer the non-symlinked spelling

    def excluded(self, path: str, name: str, is_dir: bool) -> bool:
        if not self.rules:
            return False
        rel = _rel_fast(path, self.root) or name
        return bool(_match(self.rules, rel, is_dir, None))

    def _inside_visited(self, real: str) -> bool:
        probe = real
        while True:
            if probe in self.visited:
                return True
            parent = os.path.dirname(probe)
            if parent == probe:
                return False
            probe = parent

    def walk(self, top: str, ignores: _Ignores) -> None:
        """Iterative walk; symlinked dirs wait until every real dir is known."""
        stack: list[tuple[str, _Ignores]] = [(top, ignores)]
        while stack:
            directory, ignores = stack.pop()
            real_dir = os.path.realpath(directory)
            if real_dir in self.visited:
                continue
            self.visited.add(real_dir)
            if self.respect_gitignore:
                ignores = ignores.with_dir(directory)
            try:
                with os.scandir(directory) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except PermissionError:
                self.errors[directory] = "permission denied"
                continue
            except OSError as exc:
                self.errors[directory] = f"cannot list directory: {exc.strerror or exc}"
                continue
            subdirs: list[tuple[str, _Ignores]] = []
            for entry in entries:
                path = entry.path
                try:
                    is_dir = entry.is_dir()
                    is_file = not is_dir and entry.is_file()
                    is_link = entry.is_symlink()
                except OSError:
                    continue
                if not (is_dir or is_file):
                    continue  # broken symlink, socket, fifo ...
                if is_file and not entry.name.endswith(".py"):
                    continue
                if self.excluded(path, entry.name, is_dir):
                    continue
                if self.respect_gitignore and ignores.ignored(path, is_dir):
                    continue
                if is_dir:
                    if os.path.exists(os.path.join(path, "pyvenv.cfg")):
                        continue  # a virtualenv under any name
                    if is_link:
                        self.deferred_links.append((path, ignores))
                    else:
                        subdirs.append((path, ignores))
                elif not os.access(path, os.R_OK):
                    self.errors[path] = "permission denied"
                else:
                    real = None if is_link else os.path.join(real_dir, entry.name)
                    self.add_file(path, real)
            stack.extend(reversed(subdirs))

    def walk_links(self) -> None:
        """Follow symlinked dirs that lead outside everything walked so far."""
        while self.deferred_links:
            link, ignores = self.deferred_links.pop(0)
            if self._inside_visited(os.path.realpath(link)):
                continue
            self.walk(link, ignores)


def discover(
    paths: Sequence[Path],
    *,
    exclude: Sequence[str] | None = None,
    extend_exclude: Sequence[str] = (),
    respect_gitignore: bool = True,
    root: Path | None = None,
) -> Discovered:
    """Expand path arguments into the `.py` files to check.

    `exclude` replaces DEFAULT_EXCLUDES when given; `extend_exclude` adds to it. Patterns
    are relative to `root` (default: the cwd). Explicit file arguments are always kept;
    an explicit directory is walked even if it matches an exclude.
    """
    root_path = Path(os.path.abspath(root if root is not None else Path.cwd()))
    patterns = [*(DEFAULT_EXCLUDES if exclude is None else exclude), *extend_exclude]
    walker = _Walker(patterns, respect_gitignore, root_path)

    absolute = [os.path.abspath(p) for p in paths]
    for path in absolute:
        if not os.path.lexists(path):
            raise MissingPathError(Path(path))

    for path in absolute:
        if os.path.isdir(path):
            ignores = _initial_ignores(Path(path), root_path) if respect_gitignore else _Ignores()
            walker.walk(path, ignores)
        elif os.path.exists(path):
            if not os.path.isfile(path):  # reading a fifo or /dev/zero would never end
                walker.errors[path] = "not a regular file (fifo, socket or device)"
            elif not os.access(path, os.R_OK):
                walker.errors[path] = "permission denied"
            else:
                walker.add_file(path)
        else:
            walker.errors[path] = "broken symbolic link"
    walker.walk_links()

    files = sorted({Path(p) for p in walker.files.values()})
    errors = [DiscoveryError(Path(p), r) for p, r in sorted(walker.errors.items())]
    return Discovered(files=files, errors=errors)


#: Files that mark a directory as a project root (where a context walk may start).
PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", "tox.ini", "pytest.ini", ".git")
#: Above this many files, the rest of the project is not read as context.
MAX_CONTEXT_FILES = 50_000


def project_context(
    targets: Sequence[Path],
    checked: Sequence[Path],
    root: Path,
    exclude: Sequence[str] | None = None,
    extend_exclude: Sequence[str] = (),
) -> list[Path]:
    """The project's other Python files, when only part of it is checked (a pre-commit hook
    passes the changed files): the index reads them as a run over the project would.

    Only under a recognisable project root (a config file or ``.git``) that holds every
    checked file, with the same excludes; nothing when a target is the root itself.
    """
    root = Path(os.path.abspath(root))
    if not checked or not any((root / marker).exists() for marker in PROJECT_MARKERS):
        return []
    if any(Path(os.path.abspath(t)) == root for t in targets):
        return []  # the whole project is checked already
    if not all(Path(os.path.abspath(p)).is_relative_to(root) for p in checked):
        return []
    try:
        found = discover([root], exclude=exclude, extend_exclude=extend_exclude, root=root).files
    except (OSError, MissingPathError):
        return []
    if len(found) > MAX_CONTEXT_FILES:
        return []
    own = {Path(os.path.abspath(p)) for p in checked}
    return [p for p in found if p not in own]
