"""``check --fix`` / ``--diff``: apply rule fixes until stable, then write safely (or show a diff).

How a run goes, and why:

- Each pass re-checks *every* file (the fixed text is checked in memory through the engine's
  overlay, nothing is written until the end): findings depend on other files (conftest fixtures,
  the app module), and a fix can make another finding appear or disappear.
- Only files with an applicable finding (safe, or unsafe with ``--unsafe-fixes``) are parsed with
  libcst; a rule's ``fix`` turns its finding into an :class:`~loopdoctor.fixes.Edit`.
- Edits that touch overlapping code are resolved deterministically: the first by position wins,
  the others wait for the next pass (their finding may be gone by then). Passes are bounded.
- The fixed text must still parse (and compile, when the original did); otherwise the edits are
  retried one by one and every edit that breaks the file is dropped and reported.
- Writing: a temporary file in the same directory, then ``os.replace`` (atomic), keeping the
  file mode. A file that changed on disk since it was read is not overwritten; a read-only file
  is reported and left untouched.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from loopdoctor.diagnostic import FileError, Finding, FixSafety
from loopdoctor.engine import CheckResult

MAX_PASSES = 10

Check = Callable[[Mapping[Path, bytes]], CheckResult]


@dataclass(frozen=True)
class Snapshot:
    """A file as it was read for fixing: its bytes and the stat fields that betray a change."""

    data: bytes
    key: tuple[int, int, int]


@dataclass
class FixOutcome:
    """What fixing did: the last check of the fixed text, the changes, and what went wrong."""

    result: CheckResult
    fixed: int = 0
    passes: int = 0
    changes: dict[Path, tuple[bytes, bytes]] = field(default_factory=dict)
    errors: list[FileError] = field(default_factory=list)
    fixed_per_file: dict[Path, int] = field(default_factory=dict)
    first_findings: dict[Path, list[Finding]] = field(default_factory=dict)
    snapshots: dict[Path, Snapshot] = field(default_factory=dict)

    @property
    def findings(self) -> list[Finding]:
        return self.result.findings

    def diff(self) -> str:
        """A unified diff of every change, in path order."""
        from loopdoctor.output import display_path
        from loopdoctor.source import UnreadableSource, decode_source

        chunks: list[str] = []
        for path in sorted(self.changes):
            before, after = self.changes[path]
            try:
                old = decode_source(path, before).text
                new = decode_source(path, after).text
            except UnreadableSource:
                continue
            name = display_path(path)
            for line in difflib.unified_diff(
                old.splitlines(keepends=True),
                new.splitlines(keepends=True),
                fromfile=name if name.startswith("/") else f"a/{name}",
                tofile=name if name.startswith("/") else f"b/{name}",
            ):
                # A last line without a newline gets the marker `patch` expects.
                chunks.append(
                    line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                )
        return "".join(chunks)


def applicable(finding: Finding, unsafe: bool) -> bool:
    return finding.fix is FixSafety.SAFE or (unsafe and finding.fix is FixSafety.UNSAFE)


def _stat_key(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def fix_files(
    files: Iterable[Path], check: Check, *, unsafe: bool = False, max_passes: int = MAX_PASSES
) -> FixOutcome:
    """Fix in memory until no applicable finding is left or a pass changes nothing."""
    from loopdoctor.rules import all_rules

    rules = all_rules()
    targets = set(files)
    before = {path: _stat_key(path) for path in targets}
    overlay: dict[Path, bytes] = {}
    originals: dict[Path, Snapshot] = {}
    unreadable: set[Path] = set()
    #: Per file, the fixable findings (code, message) no fix could change: not retried while
    #: the file still has exactly those (a change elsewhere may bring a new one).
    stuck: dict[Path, frozenset[tuple[str, str]]] = {}
    outcome = FixOutcome(result=check(overlay))
    for finding in outcome.result.findings:
        outcome.first_findings.setdefault(finding.location.path, []).append(finding)
    while outcome.passes < max_passes:
        todo: dict[Path, list[Finding]] = {}
        for finding in outcome.result.findings:
            path = finding.location.path
            if applicable(finding, unsafe) and path in targets and path not in unreadable:
                todo.setdefault(path, []).append(finding)
        todo = {
            path: found
            for path, found in todo.items()
            if stuck.get(path) != frozenset((f.code, f.message) for f in found)
        }
        if not todo:
            break
        outcome.passes += 1
        changed = False
        for path, findings in sorted(todo.items()):
            data = overlay.get(path)
            if data is None:
                snapshot = _read(path, before.get(path), outcome.errors)
                if snapshot is None:
                    unreadable.add(path)
                    continue
                originals[path] = snapshot
                data = snapshot.data
            new, applied, notes = fix_source(path, data, findings, rules)
            outcome.errors.extend(n for n in notes if n not in outcome.errors)
            if new is None or new == data or not applied:
                stuck[path] = frozenset((f.code, f.message) for f in findings)
                continue
            overlay[path] = new
            outcome.fixed += applied
            outcome.fixed_per_file[path] = outcome.fixed_per_file.get(path, 0) + applied
            changed = True
        if not changed:
            break
        outcome.result = check(overlay)
    for path, new in overlay.items():
        if new != originals[path].data:
            outcome.changes[path] = (originals[path].data, new)
    outcome.errors.sort(key=lambda e: str(e.path))
    outcome.snapshots = originals
    return outcome


def _read(
    path: Path, key_before_check: tuple[int, int, int] | None, errors: list[FileError]
) -> Snapshot | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        errors.append(FileError(path, f"cannot read for fixing: {exc.strerror or exc}"))
        return None
    key = _stat_key(path)
    if key is None or key != key_before_check:
        errors.append(FileError(path, "changed on disk while it was checked; not fixed"))
        return None
    return Snapshot(data, key)


# -- one file ------------------------------------------------------------------------------------
def fix_source(
    path: Path, data: bytes, findings: list[Finding], rules: Mapping[str, type]
) -> tuple[bytes | None, int, list[FileError]]:
    """Apply the fixes of ``findings`` to ``data``: (new bytes or None, edits applied, notes)."""
    import libcst as cst

    from loopdoctor.fixes.site import FixSite, TreeIndex

    notes: list[FileError] = []
    try:
        index = TreeIndex(cst.parse_module(data))
    except Exception as exc:  # libcst's parser and metadata can fail on exotic code
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        notes.append(FileError(path, f"cannot fix: libcst cannot parse this file ({reason})"))
        return None, 0, notes
    candidates = []
    for order, finding in enumerate(sorted(findings, key=Finding.sort_key)):
        rule = rules.get(finding.code)
        if rule is None:
            continue
        site = FixSite(finding, index)
        try:
            edit = rule.fix(site)
        except Exception as exc:  # a fix bug must not lose the file or the other fixes
            notes.append(FileError(path, _where(finding) + f"fix failed: {type(exc).__name__}"))
            continue
        span = index.span(edit.target) if edit is not None else None
        if edit is None or span is None:
            continue
        candidates.append((span, order, finding, edit))
    accepted = []
    for span, order, finding, edit in sorted(candidates, key=lambda c: (c[0], c[1])):
        if any(_overlaps(span, other[0]) for other in accepted):
            continue  # first by position wins; this one is retried on the next pass
        accepted.append((span, order, finding, edit))
    if not accepted:
        return None, 0, notes
    original = index.module.code
    strict = _valid(original, path, compile_=True)
    edits = [edit for *_, edit in accepted]
    module = _apply(index.module, edits)
    if module is not None and _valid(module.code, path, compile_=strict):
        return module.bytes, len(edits), notes
    kept: list = []
    for _span, _order, finding, edit in accepted:
        trial = _apply(index.module, [*kept, edit])
        if trial is not None and _valid(trial.code, path, compile_=strict):
            kept.append(edit)
        else:
            notes.append(
                FileError(
                    path,
                    _where(finding) + "fix dropped: it would make the file invalid Python",
                )
            )
    if not kept:
        return None, 0, notes
    module = _apply(index.module, kept)
    return (module.bytes if module is not None else None), len(kept), notes


def _where(finding: Finding) -> str:
    return f"{finding.location.line}:{finding.location.column}: {finding.code}: "


def _overlaps(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    a_start, a_end = a[:2], a[2:]
    b_start, b_end = b[:2], b[2:]
    return a == b or (a_start < b_end and b_start < a_end)


def _apply(module, edits: list) -> object | None:  # libcst types stay lazy
    """The module with every edit's target replaced and the edits' imports added."""
    import libcst as cst

    from loopdoctor.fixes.imports import add_imports

    table = {id(edit.target): edit.replacement for edit in edits}

    class Apply(cst.CSTTransformer):
        def on_leave(self, original_node, updated_node):
            replacement = table.get(id(original_node))
            return updated_node if replacement is None else replacement

    try:
        new = module.visit(Apply())
        return add_imports(new, [need for edit in edits for need in edit.imports])
    except Exception:  # an edit libcst refuses (e.g. removal where a node is required)
        return None


def _valid(code: str, path: Path, *, compile_: bool) -> bool:
    try:
        if compile_:
            compile(code, str(path), "exec", dont_inherit=True)
        else:
            ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


# -- writing -------------------------------------------------------------------------------------
def write_changes(outcome: FixOutcome) -> list[FileError]:
    """Write every changed file atomically; files that cannot be written keep their findings."""
    errors: list[FileError] = []
    snapshots = outcome.snapshots
    failed: list[Path] = []
    for path, (_before, after) in sorted(outcome.changes.items()):
        problem = write_file(path, after, snapshots[path])
        if problem is not None:
            errors.append(FileError(path, problem))
            failed.append(path)
    if failed:
        # What was fixed in memory is not fixed on disk: report the findings as they were.
        kept = [f for f in outcome.result.findings if f.location.path not in failed]
        for path in failed:
            kept.extend(outcome.first_findings.get(path, []))
            outcome.fixed -= outcome.fixed_per_file.get(path, 0)
            outcome.changes.pop(path, None)
        outcome.result.findings = sorted(kept, key=Finding.sort_key)
    return errors


def write_file(path: Path, data: bytes, snapshot: Snapshot) -> str | None:
    """Replace ``path`` with ``data`` atomically; a reason string when it must not or cannot."""
    real = path.resolve()
    try:
        st = os.stat(real)
    except OSError as exc:
        return f"cannot fix: {exc.strerror or exc}"
    if not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(
        real, os.W_OK
    ):
        return "cannot fix: the file is read-only; left untouched"
    try:
        current = real.read_bytes()
    except OSError as exc:
        return f"cannot fix: {exc.strerror or exc}"
    if current != snapshot.data or _stat_key(real) != snapshot.key:
        return "changed on disk since loopdoctor read it; not overwritten"
    fd, tmp = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=".loopdoctor")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        os.replace(tmp, real)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return f"cannot write the fixed file: {exc.strerror or exc}"
    return None


def summary(outcome: FixOutcome, *, unsafe: bool, diff: bool) -> str:
    """``Fixed 3 findings (2 remaining)``; a hint when unsafe fixes would do more."""
    count = outcome.fixed
    noun = "finding" if count == 1 else "findings"
    verb = "Would fix" if diff else "Fixed"
    remaining = len(outcome.findings)
    text = f"{verb} {count} {noun} ({remaining} remaining)"
    hidden = sum(1 for f in outcome.findings if f.fix is FixSafety.UNSAFE)
    if hidden and not unsafe:
        text += f"; {hidden} more fixable with --unsafe-fixes"
    return text


def run_fixes(
    files: list[Path],
    selection: object,
    *,
    unsafe: bool,
    write: bool,
    make_checker: Callable[[], object] | None = None,
) -> FixOutcome:
    """The CLI's entry point: fix ``files`` in memory, then write them (unless ``write=False``).

    Each pass gets a fresh checker (the project index must describe the fixed text).
    """
    from loopdoctor.engine import Checker

    def check(overlay: Mapping[Path, bytes]) -> CheckResult:
        checker = make_checker() if make_checker is not None else Checker(selection)  # type: ignore[arg-type]
        return checker.check(files, overlay=overlay or None)  # type: ignore[attr-defined]

    outcome = fix_files(files, check, unsafe=unsafe)
    if write:
        outcome.errors.extend(write_changes(outcome))
    return outcome
