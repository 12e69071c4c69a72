"""The check pipeline: read every file, index lazily, check each file in a worker.

Phase 0 reads each file once (its digest, its text, the names of its ``async def``s); nothing
is parsed. The base :class:`ProjectIndex` names every readable file (checked ones, plus the
project's other files as context when only part of it is checked) and parses a file the
first time a check reads it. Phase 1+2 run per file, in worker processes for large runs
(:mod:`loopdoctor.parallel`): the byte and path pre-filter (:mod:`loopdoctor.prefilter`)
picks the rules that can fire; with none, the file is only compiled (LD001); else it is
parsed, indexed and walked once, every node going to every active rule. Each file is checked
against its own view of the index (:mod:`loopdoctor.incremental`), which records what the
check read: that makes results cacheable per file (:mod:`loopdoctor.cache`) and independent
of order, so serial, parallel and cached runs print the same. Nothing a user's file contains
can crash the run: read/parse failures become ``LD001`` findings or entries in ``errors``, and
a rule that raises is reported as an internal error for that file while the other rules'
findings are kept.
"""

from __future__ import annotations

import ast
import gc
import os
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from loopdoctor.astwalk import PARENT, preorder
from loopdoctor.cache import FileFacts, ProjectState, content_digest
from loopdoctor.config import PytestSettings, load_pytest_settings
from loopdoctor.context import FileContext
from loopdoctor.diagnostic import FileError, Finding, Location, Severity
from loopdoctor.incremental import Facet, Recorder, make_view
from loopdoctor.index.extract import async_def_names
from loopdoctor.index.facts import ModuleInfo
from loopdoctor.index.types import TypeInference
from loopdoctor.prefilter import Prefilter
from loopdoctor.project import ProjectIndex
from loopdoctor.rule import Rule, visit_methods
from loopdoctor.selection import Selection
from loopdoctor.source import SourceFile, UnreadableSource, decode_source, read_source
from loopdoctor.suppression import filter_suppressed
from loopdoctor.versions import DetectedVersion

if TYPE_CHECKING:
    from loopdoctor.cache import ResultCache

SYNTAX_ERROR_CODE = "LD001"
#: Below this many files to check, ``jobs=None`` stays in one process (no pool start-up).
PARALLEL_MIN_FILES = 64


@dataclass
class CheckResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files: int = 0
    seconds: float = 0.0
    project: ProjectIndex | None = None


@dataclass
class ParsedFile:
    source: SourceFile
    tree: ast.Module


def syntax_error_finding(source: SourceFile | None, path: Path, exc: SyntaxError) -> Finding:
    line = exc.lineno or 1
    offset = exc.offset or 1
    if source is not None and exc.lineno:
        # ``SyntaxError.offset`` counts characters for str input (1-based).
        offset = max(1, offset)
    end_line = getattr(exc, "end_lineno", None) or line
    end_offset = getattr(exc, "end_offset", None) or offset
    if end_line < line or (end_line == line and end_offset < offset):
        end_line, end_offset = line, offset
    return Finding(
        code=SYNTAX_ERROR_CODE,
        name="syntax-error",
        severity=Severity.ERROR,
        message=f"SyntaxError: {exc.msg}; the file cannot be parsed, so no rule checked it",
        location=Location(path, line, offset, end_line, end_offset),
    )


def parse_file(path: Path, data: bytes | None = None) -> ParsedFile | Finding | FileError:
    """Read + parse one file; every failure mode becomes data, never an exception.

    ``data`` replaces the file's bytes on disk (``--fix``/``--diff`` re-check fixed text in memory).
    """
    try:
        source = read_source(path) if data is None else decode_source(path, data)
    except UnreadableSource as exc:
        return FileError(path, str(exc))
    return parse_source(source)


def parse_source(
    source: SourceFile, *, syntax_only: bool = False
) -> ParsedFile | Finding | FileError:
    """Parse decoded source; ``syntax_only`` skips the parent links (the tree is thrown away)."""
    path = source.path
    try:
        tree = ast.parse(source.text, filename=str(path), type_comments=False)
    except SyntaxError as exc:
        return syntax_error_finding(source, path, exc)
    except (RecursionError, MemoryError):
        return FileError(path, "too deeply nested to parse (recursion limit); skipped")
    except ValueError as exc:
        return FileError(path, f"cannot parse: {exc}")
    if syntax_only:
        return ParsedFile(source, tree)
    try:
        _link_parents(tree)
    except RecursionError:
        return FileError(path, "too deeply nested to analyse (recursion limit); skipped")
    return ParsedFile(source, tree)


def _link_parents(tree: ast.AST) -> None:
    """Parent links on every node; the pre-order it walked is kept for the Dispatcher."""
    tree._ld_order = preorder(tree, PARENT)  # type: ignore[attr-defined]


class Dispatcher:
    """One pre-order walk of a tree, calling ``visit_<Type>`` on every rule that has it."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.table: dict[str, list[Callable[[ast.AST], None]]] = {}
        self.rules = rules
        for rule in rules:
            for node_type, method in visit_methods(type(rule)):
                self.table.setdefault(node_type, []).append(getattr(rule, method))

    def walk(self, tree: ast.AST, on_error: Callable[[Rule | None, BaseException], None]) -> None:
        table = self.table
        if table:  # finish-only rules need no traversal
            order = getattr(tree, "_ld_order", None)
            by_class: dict[type, list[Callable[[ast.AST], None]] | None] = {}
            for node in order if order is not None else preorder(tree, PARENT):
                cls = node.__class__
                handlers = by_class.get(cls, ())
                if handlers == ():
                    handlers = by_class[cls] = table.get(cls.__name__)
                if handlers:
                    for handler in handlers:
                        try:
                            handler(node)
                        except Exception as exc:
                            on_error(getattr(handler, "__self__", None), exc)
        for rule in self.rules:
            try:
                rule.finish()
            except Exception as exc:
                on_error(rule, exc)


@dataclass
class Loaded:
    """Phase 0 for one file: its bytes' digest and either a parsed tree or why it has none."""

    path: Path
    digest: str = ""
    parsed: ParsedFile | None = None
    finding: Finding | None = None  # LD001
    error: FileError | None = None
    #: Read but not parsed yet: the worker that checks it parses it (or only its syntax).
    source: SourceFile | None = None

    @property
    def readable(self) -> bool:
        return self.parsed is not None or self.source is not None


@dataclass
class FileResult:
    """One checked file's findings and errors, and the facets its check read (for the cache).

    ``outcome`` is set when the check parsed a file read unparsed: its LD001 finding or
    unreadable reason (``None`` when it parsed), for the parent's ``Loaded``.
    """

    findings: list[Finding]
    errors: list[FileError]
    facets: frozenset[Facet] = frozenset()
    outcome: Finding | FileError | None = None
    parsed_now: bool = False


class Checker:
    """Runs the phases over a set of files with a given rule selection.

    ``cache`` (a :class:`loopdoctor.cache.ResultCache`) reuses per-file results whose inputs
    are unchanged; ``jobs`` > 1 checks files in forked worker processes (None: the CPU count
    for runs of ``PARALLEL_MIN_FILES`` files or more, else one process). Neither changes
    the output: every file is checked against its own view of the index (see
    :mod:`loopdoctor.incremental`), so its result depends only on the files, never on order.
    """

    def __init__(
        self,
        selection: Selection,
        *,
        settings_for: Callable[[Path], PytestSettings] | None = None,
        version_for: Callable[[str, Path], DetectedVersion] | None = None,
        cache: ResultCache | None = None,
        jobs: int | None = 1,
        prefilter: bool = True,
    ) -> None:
        self.selection = selection
        self.settings_for = settings_for or load_pytest_settings
        self.version_for = version_for
        self.project = ProjectIndex(self.settings_for, version_for)
        self.types = TypeInference(self.project)
        self.cache = cache
        self.jobs = None if jobs is None else max(1, jobs)
        self.prefilter = prefilter
        self._prefilter: Prefilter | None = None
        #: Files walked in phase 2 and files the pre-filter skipped (for tests and benchmarks).
        self.walked = 0
        self.skipped = 0
        #: Files this process checked (not answered from the cache), in order.
        self.checked_paths: list[Path] = []
        self.context: list[Path] = []

    # -- the run ---------------------------------------------------------------------------------
    def check(
        self,
        paths: Iterable[Path],
        overlay: Mapping[Path, bytes] | None = None,
        context: Iterable[Path] = (),
    ) -> CheckResult:
        """Check ``paths``; ``overlay`` maps a path to the text to check instead of the file's.

        ``context``: the project's other files. They are never checked or reported, but the
        index knows them as it would in a run over the whole project (their coroutines,
        route registrations, engines...), so checking a few files (a pre-commit hook passes
        only the changed ones) gives those files the findings a full run gives them.
        """
        started = time.perf_counter()
        files = list(paths)
        checked = set(files)
        self.context = [p for p in context if p not in checked]
        with gc_paused():
            if self.cache is not None and not overlay:
                outcome = self._check_cached(files)
            else:
                outcome = self._check_all(files, overlay)
        result = self._assemble(files, *outcome)
        result.seconds = time.perf_counter() - started
        return result

    def _assemble(
        self, files: list[Path], loaded: list[Loaded], results: dict[Path, FileResult]
    ) -> CheckResult:
        result = CheckResult(project=self.project, files=len(files))
        for item in loaded:
            if item.finding is not None:
                if self.selection.enabled_for(SYNTAX_ERROR_CODE, item.path):
                    result.findings.append(item.finding)
            elif item.error is not None:
                result.errors.append(item.error)
            found = results.get(item.path)
            if found is not None:
                result.findings.extend(found.findings)
                result.errors.extend(found.errors)
        result.findings.sort(key=Finding.sort_key)
        result.errors.sort(key=lambda e: str(e.path))
        return result

    def _load(self, path: Path, data: bytes | None = None) -> Loaded:
        """Read and parse now (the full index of ``--fix``/``--diff``/stdin runs)."""
        item = self._read(path, data)
        if item.source is not None:
            outcome = parse_source(item.source)
            item.source = None
            if isinstance(outcome, ParsedFile):
                item.parsed = outcome
            elif isinstance(outcome, Finding):
                item.finding = outcome
            else:
                item.error = outcome
        return item

    def _build_base(self, loaded: list[Loaded]) -> list[Loaded]:
        """Phase 1: the full index of every parsed file; returns the files it holds."""
        project = self.project
        for item in loaded:
            if item.parsed is not None:
                project.register(item.path)
        indexed: list[Loaded] = []
        for item in loaded:
            if item.parsed is None:
                continue
            try:
                project.adopt(project.build(item.parsed.source, item.parsed.tree))
            except RecursionError:
                item.error = FileError(item.path, "too deeply nested to index")
            except Exception as exc:
                item.error = FileError(item.path, _internal("index", exc))
            else:
                indexed.append(item)
                continue
            item.parsed = None
            project.deferred.pop(item.path, None)
        return indexed

    def _check_all(
        self, files: list[Path], overlay: Mapping[Path, bytes] | None
    ) -> tuple[list[Loaded], dict[Path, FileResult]]:
        if overlay:  # --fix/--diff re-checks a few files in memory: the full index
            loaded = [self._load(p, overlay.get(p)) for p in files]
            indexed = self._build_base(loaded)
            for item in (self._read(p) for p in self.context):
                if item.source is not None:
                    self._name(item, async_def_names(item.source))
            return loaded, self._check_many(indexed)
        loaded = [self._read(p) for p in files]
        self._gated_base(_in_path_order(loaded + [self._read(p) for p in self.context]))
        results = self._check_many([item for item in loaded if item.readable])
        self._settle(loaded, results)
        return loaded, results

    def _read(self, path: Path, data: bytes | None = None) -> Loaded:
        """Phase 0 without parsing: the file's text and digest, or why it cannot be read.

        ``data`` replaces the file's bytes on disk (text checked in memory).
        """
        try:
            source = read_source(path) if data is None else decode_source(path, data)
        except UnreadableSource as exc:
            raw = data
            if raw is None:
                try:  # never read a fifo or /dev/zero just for a digest: it would not end
                    raw = path.read_bytes() if path.is_file() else b""
                except OSError:
                    raw = b""
            return Loaded(path, content_digest(raw), error=FileError(path, str(exc)))
        return Loaded(path, content_digest(source.data), source=source)

    def _gated_base(self, loaded: list[Loaded]) -> None:
        """A lazy base index: every readable file named, parsed only when something reads it.

        Nothing is parsed here: each file is parsed by the worker that checks it (only for
        its syntax when no active rule can fire there), and files other checks read are
        parsed on first use. The names of all ``async def``s, which LD301's pre-filter and
        every "is this a coroutine?" test need up front, come from the text.
        """
        self._parsed = {}
        for item in loaded:
            if item.readable:
                self._name(item, async_def_names(item.source or item.parsed.source))  # type: ignore[union-attr]
        self._install_loader()

    def _name(self, item: Loaded, coroutine_names: Iterable[str]) -> None:
        """Make a file known to the base index (parsed on first use) with its coroutines."""
        project = self.project
        project.register(item.path)
        project.coroutine_names |= set(coroutine_names)
        if item.readable:
            project.texts[item.path] = _data(item)

    def _install_loader(self) -> None:
        """Registered files are parsed on first use (from the bytes already read, if any)."""
        project = self.project
        self._index_errors: dict[Path, FileError] = {}

        def loader(path: Path) -> ModuleInfo | None:
            parsed = self._parsed.get(path)
            if parsed is None:
                outcome = parse_file(path, project.texts.get(path))
                if not isinstance(outcome, ParsedFile):
                    return None
                parsed = self._parsed[path] = outcome
            try:
                return project.build(parsed.source, parsed.tree)
            except RecursionError:
                self._index_errors[path] = FileError(path, "too deeply nested to index")
            except Exception as exc:
                self._index_errors[path] = FileError(path, _internal("index", exc))
            return None

        project.deferred_loader = loader

    def _settle(self, loaded: list[Loaded], results: dict[Path, FileResult]) -> None:
        """Move what the workers learnt about files read unparsed onto their ``Loaded``."""
        for item in loaded:
            found = results.get(item.path)
            if found is None or not found.parsed_now:
                continue
            item.source = None
            if isinstance(found.outcome, Finding):
                item.finding = found.outcome
            elif isinstance(found.outcome, FileError):
                item.error = found.outcome

    def _check_many(self, items: list[Loaded]) -> dict[Path, FileResult]:
        """Phase 2 for ``items``, in worker processes when worthwhile."""
        jobs = self.jobs
        if jobs is None:  # automatic: a pool only pays off for larger runs
            jobs = (os.cpu_count() or 1) if len(items) >= PARALLEL_MIN_FILES else 1
        if jobs > 1 and len(items) > 1:
            from loopdoctor.parallel import check_in_workers

            return check_in_workers(self, items, jobs)
        return {item.path: self.work_one(item) for item in items}

    # -- phase 2 ---------------------------------------------------------------------------------
    def active_rules(self, source: SourceFile) -> list[type[Rule]]:
        """Rules whose byte pre-filter the file passes (all selected ones without pre-filter)."""
        # LD001 is reported by the parse itself: no rule object has anything to do for it.
        selected = [r for r in self.selection.rules_for(source.path) if r.code != SYNTAX_ERROR_CODE]
        if not self.prefilter:
            return selected
        if self._prefilter is None:
            self._prefilter = Prefilter(self.project)
        return [r for r in selected if self._prefilter.may_fire(r, source.data, source.path)]

    def work_one(self, item: Loaded) -> FileResult:
        """Check one file, parsing it first if it was only read (just its syntax when no
        active rule can fire on it: that tree is thrown away and nothing is indexed)."""
        source = item.source
        if item.parsed is not None or source is None:
            return self.check_one(item)
        rule_classes = self.active_rules(source)
        if not rule_classes:
            self.skipped += 1
            outcome = parse_source(source, syntax_only=True)
            failed = None if isinstance(outcome, ParsedFile) else outcome
            gate = self.gate_facets(item.path)
            return FileResult([], [], gate, outcome=failed, parsed_now=True)
        outcome = self._parsed.get(item.path) or parse_source(source)  # maybe loaded already
        if not isinstance(outcome, ParsedFile):
            return FileResult([], [], outcome=outcome, parsed_now=True)
        self._parsed[item.path] = outcome
        result = self.check_one(Loaded(item.path, item.digest, parsed=outcome), rule_classes)
        error = self._index_errors.get(item.path)
        if error is not None:
            result.outcome = error
        result.parsed_now = True
        return result

    def check_one(self, item: Loaded, rule_classes: list[type[Rule]] | None = None) -> FileResult:
        """Check one indexed file against its own recording view of the index."""
        assert item.parsed is not None
        self.checked_paths.append(item.path)
        if rule_classes is None:
            rule_classes = self.active_rules(item.parsed.source)
        gate = self.gate_facets(item.path)
        if not rule_classes:
            self.skipped += 1
            return FileResult([], [], gate)
        if any(_visits(r) for r in rule_classes):
            self.walked += 1
        else:  # only rules that decide in finish(): no traversal
            self.skipped += 1
        recorder = Recorder()
        view = make_view(self.project, recorder)
        module = view.module(item.path)
        recorder.facets.clear()  # the file itself is keyed by its own digest
        if module is None:
            return FileResult([], [], gate)
        findings, errors = self.check_file(item.parsed, module, view, rule_classes)
        return FileResult(findings, errors, gate | recorder.facets)

    def gate_facets(self, path: Path) -> frozenset[Facet]:
        """What the pre-filter read of the project to decide which rules run on ``path``:
        a cached result, even an empty one, stays valid only while that is unchanged."""
        facets: set[Facet] = set()
        if self.prefilter:
            for rule in self.selection.rules_for(path):
                facets.update(rule.prefilter_facets)
        return frozenset(facets)

    def check_file(
        self,
        item: ParsedFile,
        module: ModuleInfo,
        project: ProjectIndex | None = None,
        rule_classes: Sequence[type[Rule]] | None = None,
    ) -> tuple[list[Finding], list[FileError]]:
        source = item.source
        project = project or self.project
        ctx = FileContext(source, module, project, TypeInference(project))
        if rule_classes is None:
            rule_classes = self.active_rules(source)
        rules = [rule_cls(ctx) for rule_cls in rule_classes]
        if not rules:
            return [], []
        errors: list[FileError] = []

        def on_error(rule: Rule | None, exc: BaseException) -> None:
            code = rule.code if rule is not None else "engine"
            message = _internal(code, exc)
            if not any(e.reason == message for e in errors):
                errors.append(FileError(source.path, message))

        try:
            Dispatcher(rules).walk(item.tree, on_error)
        except RecursionError:
            errors.append(FileError(source.path, "too deeply nested to analyse; skipped"))
        findings = [f for rule in rules for f in rule.findings]
        return filter_suppressed(findings, source.text), errors

    # -- the cache -------------------------------------------------------------------------------
    def _check_cached(self, files: list[Path]) -> tuple[list[Loaded], dict[Path, FileResult]]:
        """Reuse every result whose inputs are unchanged; re-check the rest on a lazy index.

        Unchanged files are not even parsed: their facts (parse outcome, coroutine names)
        come from the cache by content digest, and the index parses a file only when a
        re-checked file reads it.
        """
        cache = self.cache
        assert cache is not None
        project = self.project
        digests = cache.digests(files + self.context)
        loaded: list[Loaded] = []
        facts: dict[Path, FileFacts] = {}
        self._parsed: dict[Path, ParsedFile] = {}
        provisional: dict[Path, Loaded] = {}
        around: list[Loaded] = []  # context: known to the index, never checked
        checked = set(files)
        for path in [*files, *self.context]:
            digest = digests.get(path, "")
            known = cache.facts(digest) if digest else None
            if known is not None:
                item = known.loaded(path, digest)
            else:  # new or changed: read it; the check that parses it settles its facts
                item = self._read(path)
                if item.source is not None:
                    known = FileFacts(indexed=True, coroutine_names=async_def_names(item.source))
                    provisional[path] = item
                else:
                    known = FileFacts.of(item)
                    cache.put_facts(item.digest, known)
                if item.digest:
                    digests[path] = item.digest
            (loaded if path in checked else around).append(item)
            facts[path] = known
        state = ProjectState(self, digests, facts)
        results: dict[Path, FileResult] = {}
        todo: list[Loaded] = []
        for item in loaded:
            if not facts[item.path].indexed:
                continue
            entry = cache.result(state.result_key(item.path))
            if entry is not None and state.still_valid(entry.facets):
                results[item.path] = FileResult(entry.findings, entry.errors)
            else:
                todo.append(item)
        if todo:
            self._lazy_base(_in_path_order(loaded + around), facts)
            for item in todo:
                if not item.readable:  # unchanged, but its result is stale: read it again
                    try:
                        item.source = read_source(item.path)
                    except UnreadableSource:
                        continue
                    project.texts[item.path] = item.source.data
            fresh = self._check_many([i for i in todo if i.readable])
            self._settle(loaded, fresh)
            for path, changed in provisional.items():
                if path in fresh:  # now its parse outcome is known
                    facts[path] = FileFacts.of(changed, facts[path].coroutine_names)
                    cache.put_facts(changed.digest, facts[path])
            state = ProjectState(self, digests, facts)  # facet digests as the next run sees them
            for path, found in fresh.items():
                if not facts[path].indexed:
                    continue
                results[path] = found
                facets = {f: state.digest(f) for f in found.facets}
                cache.put_result(state.result_key(path), found, facets)
        cache.save_digests()
        return loaded, results

    def _lazy_base(self, loaded: list[Loaded], facts: dict[Path, FileFacts]) -> None:
        """A base index that names every indexable file and parses one only when read."""
        for item in loaded:
            if facts[item.path].indexed:
                self._name(item, facts[item.path].coroutine_names)
        self._install_loader()


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic GC while the index is built; then freeze it so later collections skip it.

    The index holds millions of AST objects that live for the whole run; letting the
    collector re-scan them on every generation-2 pass cost more than parsing them.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # the run's objects stay: later (and exit-time) collections skip them
        if was_enabled:
            gc.enable()


def _in_path_order(items: list[Loaded]) -> list[Loaded]:
    """Checked and context files in one order: the order a run over all of them registers."""
    return sorted(items, key=lambda item: item.path)


def _data(item: Loaded) -> bytes:
    source = item.source if item.source is not None else item.parsed.source  # type: ignore[union-attr]
    return source.data


def _visits(rule: type[Rule]) -> bool:
    return next(visit_methods(rule), None) is not None


def _internal(where: str, exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" at {Path(frame.filename).name}:{frame.lineno}" if frame else ""
    return f"internal error in {where}: {type(exc).__name__}: {exc}{at} (please report this)"
