"""The on-disk result cache: ``.loopdoctor_cache/`` next to the project's configuration.

What is stored, and why it is sound:

* **digests** (one file): path -> (mtime_ns, size, inode, content digest). Only a hint to avoid
  re-reading unchanged files; an entry counts only when the file's stat is identical and the
  file was older than the run that recorded it (so same-tick edits are re-read).
* **facts** (one file per content digest): what phase 0/1 learned from those bytes: the
  parse outcome (LD001 or unreadable), whether the file indexes, and its coroutine names.
  A warm run needs nothing else from unchanged files, so it never parses them.
* **results** (one file per key): a file's findings and errors, keyed by its path, content
  digest, loopdoctor's code, Python, the rules active for it and its pytest settings, together
  with a digest of every *facet* its check read (recorded by :mod:`loopdoctor.incremental`):
  the other files it loaded, the set of file names when it resolved a name, every async def
  name when it asked whether a call is a coroutine, every file when a rule scanned the whole
  project, the pytest settings and package versions it consulted. A result is reused only when
  every facet still has the recorded digest, so a change in a conftest or in an ``async def``
  elsewhere re-checks exactly the files that read it.

Concurrent runs write whole files (temp file + ``os.replace``); a truncated or foreign entry
fails to load, counts as a miss, and is rewritten.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loopdoctor import __version__
from loopdoctor.diagnostic import FileError, Finding
from loopdoctor.project import text_contains

if TYPE_CHECKING:
    from loopdoctor.engine import Checker, FileResult, Loaded

CACHE_DIR_NAME = ".loopdoctor_cache"
FORMAT = "v1"
Facet = tuple[str, ...]
#: Versions a whole-project analysis may consult: part of the "every file" facet.
WATCHED_DISTRIBUTIONS = ("pytest", "pytest-asyncio", "sqlalchemy", "httpx", "fastapi", "anyio")


def content_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _digest(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


@dataclass
class FileFacts:
    """What a file's bytes tell the index, independent of where the file lives."""

    indexed: bool
    coroutine_names: frozenset[str] = frozenset()
    finding: Finding | None = None  # LD001, stored with a placeholder path
    error_reason: str | None = None

    @classmethod
    def of(cls, item: Loaded, coroutine_names: frozenset[str] = frozenset()) -> FileFacts:
        """The facts of a file whose read and parse outcome ``item`` holds."""
        return cls(
            indexed=item.finding is None and item.error is None,
            coroutine_names=coroutine_names,
            finding=item.finding,
            error_reason=item.error.reason if item.error is not None else None,
        )

    def loaded(self, path: Path, digest: str) -> Loaded:
        """The phase-0 outcome for ``path`` without parsing it."""
        from dataclasses import replace

        from loopdoctor.engine import Loaded

        finding = None
        if self.finding is not None:
            finding = replace(self.finding, location=replace(self.finding.location, path=path))
        error = FileError(path, self.error_reason) if self.error_reason is not None else None
        return Loaded(path, digest, finding=finding, error=error)


@dataclass
class ResultCache:
    """Per-file results and facts under ``root`` (normally ``<project>/.loopdoctor_cache``)."""

    root: Path
    _digests: dict[str, tuple[int, int, int, str]] = field(default_factory=dict)
    _new_digests: dict[str, tuple[int, int, int, str]] = field(default_factory=dict)
    _started: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        self.base = self.root / FORMAT
        self._loaded_digests = False

    # -- storage ---------------------------------------------------------------------------------
    def _ensure_root(self) -> None:
        if not (self.root / ".gitignore").exists():
            self.root.mkdir(parents=True, exist_ok=True)
            self._write(self.root / ".gitignore", b"# created by loopdoctor\n*\n")

    def _write(self, path: Path, data: bytes) -> None:
        """Whole-file write: a temp file in the same directory, then an atomic rename."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(tmp, path)
            except BaseException:
                with _suppress():
                    os.unlink(tmp)
                raise
        except OSError:
            pass  # a read-only or full disk only costs speed

    def _read(self, path: Path) -> Any:
        try:
            with open(path, "rb") as handle:
                return pickle.load(handle)
        except Exception:
            return None

    def _entry(self, kind: str, key: str) -> Path:
        return self.base / kind / key[:2] / key

    # -- content digests -------------------------------------------------------------------------
    def digests(self, files: Iterable[Path]) -> dict[Path, str]:
        """Content digest per file, from the stat table when the file is unchanged."""
        if not self._loaded_digests:
            table = self._read(self.base / "digests")
            self._digests = table if isinstance(table, dict) else {}
            self._loaded_digests = True
        out: dict[Path, str] = {}
        for path in files:
            key = str(path)
            try:
                st = os.stat(path)
            except OSError:
                continue
            known = self._digests.get(key)
            if known is not None and known[:3] == (st.st_mtime_ns, st.st_size, st.st_ino):
                out[path] = known[3]
                continue
            try:
                data = path.read_bytes()
            except OSError:
                continue
            out[path] = digest = content_digest(data)
            self._note(key, st, digest)
        return out

    def _note(self, key: str, st: os.stat_result, digest: str) -> None:
        if st.st_mtime_ns < (self._started - 2) * 1e9:  # same-tick edits must be re-read
            self._new_digests[key] = (st.st_mtime_ns, st.st_size, st.st_ino, digest)

    def remember_digests(self, digests: dict[Path, str]) -> None:
        for path, digest in digests.items():
            if not digest:
                continue
            try:
                st = os.stat(path)
            except OSError:
                continue
            self._note(str(path), st, digest)

    def save_digests(self) -> None:
        if not self._new_digests:
            return
        self._ensure_root()
        table = dict(self._digests)
        table.update(self._new_digests)
        self._write(self.base / "digests", pickle.dumps(table, protocol=pickle.HIGHEST_PROTOCOL))
        self._digests = table
        self._new_digests = {}

    # -- facts and results -----------------------------------------------------------------------
    def facts(self, digest: str) -> FileFacts | None:
        found = self._read(self._entry("facts", digest))
        return found if isinstance(found, FileFacts) else None

    def put_facts(self, digest: str, facts: FileFacts) -> None:
        if digest:
            self._ensure_root()
            self._write(self._entry("facts", digest), pickle.dumps(facts, protocol=5))

    def result(self, key: str) -> CachedResult | None:
        found = self._read(self._entry("results", key))
        return found if isinstance(found, CachedResult) else None

    def put_result(self, key: str, result: FileResult, facets: dict[Facet, str]) -> None:
        self._ensure_root()
        entry = CachedResult(result.findings, result.errors, facets)
        self._write(self._entry("results", key), pickle.dumps(entry, protocol=5))


@dataclass
class CachedResult:
    """A stored result and the digest of each facet it read."""

    findings: list[Finding]
    errors: list[FileError]
    facets: dict[Facet, str]


class ProjectState:
    """The current digests of facets and result keys, computed on demand for one run."""

    def __init__(
        self, checker: Checker, digests: dict[Path, str], facts: dict[Path, FileFacts]
    ) -> None:
        self.checker = checker
        self.digests = digests
        self.facts = facts
        self._memo: dict[Facet, str] = {}
        self._settings: dict[str, str] = {}
        self._indexed_paths: list[Path] | None = None
        self._listings: dict[str, set[str]] = {}
        self._by_name: dict[str, str] | None = None
        self._code = _code_digest()

    def settings_digest(self, directory: str) -> str:
        found = self._settings.get(directory)
        if found is None:
            settings = self.checker.settings_for(Path(directory))
            config = b""
            if settings.config_file is not None:
                try:
                    config = settings.config_file.read_bytes()
                except OSError:
                    config = b"?"
            found = self._settings[directory] = _digest(repr(settings), content_digest(config))
        return found

    def result_key(self, path: Path) -> str:
        checker = self.checker
        rules = tuple(r.code for r in checker.selection.rules_for(path))
        return _digest(
            __version__,
            self._code,
            sys.version,
            str(path),
            self.digests.get(path, ""),
            rules,
            checker.prefilter,
            self.settings_digest(str(path.parent)),
        )

    def digest(self, facet: Facet) -> str:
        found = self._memo.get(facet)
        if found is None:
            found = self._memo[facet] = self._compute(facet)
        return found

    def _indexed(self) -> list[Path]:
        if self._indexed_paths is None:
            found = (p for p, f in self.facts.items() if f.indexed)
            self._indexed_paths = sorted(found, key=str)
        return self._indexed_paths

    def _compute(self, facet: Facet) -> str:
        kind = facet[0]
        if kind == "file":  # strings, not Paths: resolution probes tens of thousands of names
            if self._by_name is None:
                self._by_name = {str(p): d for p, d in self.digests.items()}
            directory, name = os.path.split(facet[1])
            digest = self._by_name.get(facet[1])
            if digest is None:
                try:
                    exists = self._exists(directory, name)
                    digest = content_digest(Path(facet[1]).read_bytes()) if exists else "-"
                except OSError:
                    digest = "?"
            if digest == "-":  # absent: only its absence was read (no settings to look up)
                return digest
            return _digest(digest, self.settings_digest(directory))
        if kind == "all":  # the layout, every file's content, the watched versions
            indexed = self._indexed()
            roots = sorted({str(self.checker.settings_for(p.parent).rootdir) for p in indexed})
            versions = [
                repr(self.checker.project._version_for(name, Path(root)))
                for root in roots
                for name in WATCHED_DISTRIBUTIONS
            ]
            contents = [(str(p), self.digests.get(p)) for p in indexed]
            return _digest(self.digest(("layout",)), contents, versions)
        if kind == "scan":  # the files that contain the scan's tokens, and their settings
            tokens = tuple(t.encode("latin-1") for t in facet[1:])
            texts = self.checker.project
            hits = [p for p in self._indexed() if text_contains(texts.text_of(p), tokens)]
            return _digest(
                [(str(p), self.digests.get(p)) for p in hits],
                sorted({self.settings_digest(str(p.parent)) for p in hits}),
            )
        if kind == "layout":  # which files there are, and the pytest settings of each
            indexed = self._indexed()
            dirs = sorted({str(p.parent) for p in indexed})
            return _digest([str(p) for p in indexed], [self.settings_digest(d) for d in dirs])
        if kind == "paths":
            return _digest([str(p) for p in self._indexed()])
        if kind == "coro":
            names: set[str] = set()
            for known in self.facts.values():
                names |= known.coroutine_names
            return _digest(sorted(names))
        if kind == "settings":
            return self.settings_digest(facet[1])
        if kind == "version":
            found = self.checker.project._version_for(facet[1], Path(facet[2]))
            return _digest(repr(found))
        return _digest("unknown", facet)  # never valid: a new facet kind re-checks

    def _exists(self, directory: str, name: str) -> bool:
        """A file ``name`` in ``directory``, from one listing per directory."""
        names = self._listings.get(directory)
        if names is None:
            try:
                with os.scandir(directory) as entries:
                    names = {e.name for e in entries if e.is_file()}
            except OSError:
                names = set()
            self._listings[directory] = names
        return name in names

    def still_valid(self, facets: dict[Facet, str]) -> bool:
        return all(self.digest(f) == d for f, d in facets.items())


def _code_digest() -> str:
    """loopdoctor's own source files (size + mtime): editing a rule invalidates results."""
    package = Path(__file__).parent
    parts = []
    for path in sorted(package.rglob("*.py")):
        try:
            st = path.stat()
        except OSError:
            continue
        parts.append((str(path.relative_to(package)), st.st_size, st.st_mtime_ns))
    return _digest(parts)


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return True


def default_cache_dir(project_root: Path) -> Path:
    return project_root / CACHE_DIR_NAME
