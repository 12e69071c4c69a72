"""The check pipeline: read and parse every file once, index, then run all rules per file.

Phase 1 builds the :class:`ProjectIndex` from ``ast`` trees (every file parsed exactly once);
phase 2 walks each file once and dispatches every node to every active rule whose byte
pre-filter matches. Nothing a user's file contains can crash the run: read/parse failures
become ``LD001`` findings or entries in ``errors``, and a rule that raises is reported as an
internal error for that file while the other rules' findings are kept.
"""

from __future__ import annotations

import ast
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from loopdoctor.config import PytestSettings, load_pytest_settings
from loopdoctor.context import PARENT, FileContext
from loopdoctor.diagnostic import FileError, Finding, Location, Severity
from loopdoctor.index.types import TypeInference
from loopdoctor.project import ProjectIndex
from loopdoctor.rule import Rule, visit_methods
from loopdoctor.selection import Selection
from loopdoctor.source import SourceFile, UnreadableSource, decode_source, read_source
from loopdoctor.suppression import filter_suppressed
from loopdoctor.versions import DetectedVersion

SYNTAX_ERROR_CODE = "LD001"


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
    try:
        tree = ast.parse(source.text, filename=str(path), type_comments=False)
    except SyntaxError as exc:
        return syntax_error_finding(source, path, exc)
    except (RecursionError, MemoryError):
        return FileError(path, "too deeply nested to parse (recursion limit); skipped")
    except ValueError as exc:
        return FileError(path, f"cannot parse: {exc}")
    try:
        _link_parents(tree)
    except RecursionError:
        return FileError(path, "too deeply nested to analyse (recursion limit); skipped")
    return ParsedFile(source, tree)


def _link_parents(tree: ast.AST) -> None:
    stack = [tree]
    while stack:
        node = stack.pop()
        for child in ast.iter_child_nodes(node):
            setattr(child, PARENT, node)
            stack.append(child)


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
        stack = [tree]
        while stack:
            node = stack.pop()
            handlers = table.get(type(node).__name__)
            if handlers:
                for handler in handlers:
                    try:
                        handler(node)
                    except Exception as exc:  # noqa: BLE001 - a rule bug must not kill the run
                        on_error(getattr(handler, "__self__", None), exc)
            children = list(ast.iter_child_nodes(node))
            children.reverse()
            stack.extend(children)
        for rule in self.rules:
            try:
                rule.finish()
            except Exception as exc:  # noqa: BLE001
                on_error(rule, exc)


class Checker:
    """Runs the two phases over a set of files with a given rule selection."""

    def __init__(
        self,
        selection: Selection,
        *,
        settings_for: Callable[[Path], PytestSettings] | None = None,
        version_for: Callable[[str, Path], DetectedVersion] | None = None,
    ) -> None:
        self.selection = selection
        self.project = ProjectIndex(settings_for or load_pytest_settings, version_for)
        self.types = TypeInference(self.project)

    def check(
        self, paths: Iterable[Path], overlay: Mapping[Path, bytes] | None = None
    ) -> CheckResult:
        """Check ``paths``; ``overlay`` maps a path to the text to check instead of the file's."""
        started = time.perf_counter()
        result = CheckResult(project=self.project)
        parsed: list[ParsedFile] = []
        for path in paths:
            result.files += 1
            outcome = parse_file(path, overlay.get(path) if overlay else None)
            if isinstance(outcome, ParsedFile):
                parsed.append(outcome)
            elif isinstance(outcome, Finding):
                if self.selection.enabled_for(SYNTAX_ERROR_CODE, path):
                    result.findings.append(outcome)
            else:
                result.errors.append(outcome)
        for item in parsed:  # phase 1: the index
            try:
                self.project.add(item.source, item.tree)
            except RecursionError:
                result.errors.append(FileError(item.source.path, "too deeply nested to index"))
            except Exception as exc:  # noqa: BLE001
                result.errors.append(FileError(item.source.path, _internal("index", exc)))
        for item in parsed:  # phase 2: rules
            module = self.project.modules.get(item.source.path)
            if module is None:
                continue
            findings, errors = self.check_file(item, module)
            result.findings.extend(findings)
            result.errors.extend(errors)
        result.findings.sort(key=Finding.sort_key)
        result.errors.sort(key=lambda e: str(e.path))
        result.seconds = time.perf_counter() - started
        return result

    def check_file(self, item: ParsedFile, module) -> tuple[list[Finding], list[FileError]]:  # noqa: ANN001
        source = item.source
        ctx = FileContext(source, module, self.project, self.types)
        rules = [
            rule_cls(ctx)
            for rule_cls in self.selection.rules_for(source.path)
            if not rule_cls.tokens or any(token in source.data for token in rule_cls.tokens)
        ]
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


def _internal(where: str, exc: BaseException) -> str:
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" at {Path(frame.filename).name}:{frame.lineno}" if frame else ""
    return f"internal error in {where}: {type(exc).__name__}: {exc}{at} (please report this)"
