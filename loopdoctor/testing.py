"""Corpus annotations: ``# error: [LD301]`` comments that say which findings a file must produce.

Public and reusable (a plugin author can test their own rules with it). Checked both ways: every
finding needs an annotation on its line, and every annotation needs a finding.

- trailing: ``client.get("/")  # error: [LD301]`` (several: ``# error: [LD301, LD302]``)
- own line: ``# error: [LD301]`` alone on a line applies to the next line that is not a comment
- a column pins the start column: ``# error: 5 [LD301]``
- header lines ``# config: asyncio_mode = "auto"`` set pytest ini options for a single-file case
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from loopdoctor.diagnostic import Finding

if TYPE_CHECKING:
    from loopdoctor.fixing import FixOutcome

_ANNOTATION_RE = re.compile(r"#\s*error(?:\[[a-z]+\])?:\s*(?P<col>\d+)?\s*\[(?P<codes>[^\]]+)\]")
_CONFIG_RE = re.compile(r"^#\s*config:\s*(?P<key>[A-Za-z_][\w-]*)\s*=\s*(?P<value>.+?)\s*$")


@dataclass(frozen=True)
class Expected:
    path: Path
    line: int
    code: str
    column: int | None = None

    def __str__(self) -> str:
        col = f":{self.column}" if self.column else ""
        return f"{self.path}:{self.line}{col}: {self.code}"


def parse_annotations(path: Path, text: str) -> list[Expected]:
    """Expected findings declared in one file."""
    expected: list[Expected] = []
    pending: list[tuple[str, int | None]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        match = _ANNOTATION_RE.search(line)
        own_line = stripped.startswith("#")
        if own_line:
            if match:
                col = int(match.group("col")) if match.group("col") else None
                pending.extend((c.strip(), col) for c in match.group("codes").split(","))
            continue
        if not stripped:
            continue
        for code, col in pending:
            expected.append(Expected(path, number, code, col))
        pending = []
        if match:
            col = int(match.group("col")) if match.group("col") else None
            for code in match.group("codes").split(","):
                expected.append(Expected(path, number, code.strip(), col))
    return expected


def parse_config_header(text: str) -> dict[str, str]:
    """``# config: key = value`` lines at the top of a single-file case."""
    config: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        match = _CONFIG_RE.match(line)
        if match:
            config[match.group("key")] = match.group("value").strip().strip("\"'")
    return config


@dataclass
class Comparison:
    missing: list[Expected]  # annotated, not found
    unexpected: list[Finding]  # found, not annotated

    @property
    def ok(self) -> bool:
        return not self.missing and not self.unexpected

    def explain(self) -> str:
        lines = [f"missed (annotated, not reported): {e}" for e in self.missing]
        for f in self.unexpected:
            loc = f.location
            lines.append(
                f"unexpected (reported, not annotated): {loc.path}:{loc.line}:{loc.column}: "
                f"{f.code} {f.message}"
            )
        return "\n".join(lines)


def compare(expected: list[Expected], findings: list[Finding]) -> Comparison:
    """Match findings to annotations by (path, line, code), and column when one is given."""
    remaining = Counter((e.path.resolve(), e.line, e.code) for e in expected)
    columns = {(e.path.resolve(), e.line, e.code): e.column for e in expected if e.column}
    unexpected: list[Finding] = []
    for finding in findings:
        key = (finding.location.path.resolve(), finding.location.line, finding.code)
        column = columns.get(key)
        if remaining[key] > 0 and (column is None or column == finding.location.column):
            remaining[key] -= 1
        else:
            unexpected.append(finding)
    missing = [
        Expected(path, line, code)
        for (path, line, code), count in remaining.items()
        for _ in range(count)
    ]
    return Comparison(missing, unexpected)


# -- running a case ------------------------------------------------------------------------------
CONFIG_FILES = ("pyproject.toml", "pytest.ini", ".pytest.ini", "setup.cfg", "tox.ini")


def pinned_versions_only(name: str, root: Path):
    """Version lookup that ignores the running environment: the case's pins, else newest.

    Corpus results must not depend on which pytest-asyncio the test environment has installed.
    """
    from loopdoctor.versions import detect_version

    return detect_version(name, root, installed=lambda _name: None)


def check_files(
    files: list[Path], select: tuple[str, ...] = ("ALL",), root: Path | None = None
) -> tuple[list[Finding], list[object]]:
    """Run the checker over ``files`` as the CLI would (one project index for all of them)."""
    from loopdoctor.config import clear_caches, load_pytest_settings
    from loopdoctor.engine import Checker
    from loopdoctor.selection import Selection

    clear_caches()
    selection = Selection(select=select, root=root or Path.cwd())
    checker = Checker(
        selection, settings_for=load_pytest_settings, version_for=pinned_versions_only
    )
    result = checker.check(files)
    return result.findings, list(result.errors)


def check_tree(root: Path, select: tuple[str, ...] = ("ALL",)) -> tuple[Comparison, list[object]]:
    """Check every file below ``root`` and compare with the annotations in .py and config files."""
    from loopdoctor.discovery import discover

    discovered = discover([root], respect_gitignore=False)
    findings, errors = check_files(discovered.files, select, root)
    expected: list[Expected] = []
    for path in discovered.files:
        expected.extend(parse_annotations(path, path.read_text(encoding="utf-8", errors="replace")))
    for config in root.rglob("*"):
        if config.name in CONFIG_FILES and config.is_file():
            expected.extend(parse_annotations(config, config.read_text(encoding="utf-8")))
    return compare(expected, findings), errors


def materialise_single(case: Path, workdir: Path) -> Path:
    """Copy a single-file case into ``workdir/tests/`` with a pytest.ini from its header."""
    text = case.read_text(encoding="utf-8")
    config = parse_config_header(text)
    versions = {k: v for k, v in config.items() if k.endswith("-version")}
    ini = {k: v for k, v in config.items() if k not in versions}
    lines = ["[pytest]", *(f"{k} = {v}" for k, v in ini.items())]
    (workdir / "pytest.ini").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if versions:
        reqs = [f"{k[: -len('-version')]}=={v}" for k, v in versions.items()]
        (workdir / "requirements.txt").write_text("\n".join(reqs) + "\n", encoding="utf-8")
    tests = workdir / "tests"
    tests.mkdir(parents=True, exist_ok=True)
    name = case.name if case.name.startswith("test_") else f"test_{case.name}"
    target = tests / name
    target.write_text(text, encoding="utf-8")
    return target


def write_example(blocks: str, workdir: Path) -> list[Path]:
    """Write a doc example (``# file: path`` splits files; ``# config:`` sets pytest.ini keys)."""
    files: dict[str, list[str]] = {}
    current = "tests/test_example.py"
    config = parse_config_header(blocks)
    for line in blocks.splitlines():
        match = re.match(r"^#\s*file:\s*(\S+)\s*$", line)
        if match:
            current = match.group(1)
            files.setdefault(current, [])
            continue
        if _CONFIG_RE.match(line):
            continue
        files.setdefault(current, []).append(line)
    versions = {k: v for k, v in config.items() if k.endswith("-version")}
    ini = {k: v for k, v in config.items() if k not in versions}
    if "pytest.ini" not in files and "pyproject.toml" not in files:
        body = ["[pytest]", *(f"{k} = {v}" for k, v in ini.items())]
        (workdir / "pytest.ini").write_text("\n".join(body) + "\n", encoding="utf-8")
    if versions:
        reqs = [f"{k[: -len('-version')]}=={v}" for k, v in versions.items()]
        (workdir / "requirements.txt").write_text("\n".join(reqs) + "\n", encoding="utf-8")
    written: list[Path] = []
    for rel, content in files.items():
        path = workdir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(content) + "\n", encoding="utf-8")
        if path.suffix == ".py":
            written.append(path)
    return written


def fix_in_place(
    files: list[Path],
    select: tuple[str, ...] = ("ALL",),
    root: Path | None = None,
    unsafe: bool = True,
) -> FixOutcome:
    """Fix ``files`` on disk as ``check --fix [--unsafe-fixes]`` would; returns the outcome.

    Like :func:`check_files`, versions come from the case's pins only, never the environment.
    """
    from loopdoctor.config import clear_caches, load_pytest_settings
    from loopdoctor.engine import Checker
    from loopdoctor.fixing import run_fixes
    from loopdoctor.selection import Selection

    clear_caches()
    selection = Selection(select=select, root=root or Path.cwd())
    return run_fixes(
        files,
        selection,
        unsafe=unsafe,
        write=True,
        make_checker=lambda: Checker(
            selection, settings_for=load_pytest_settings, version_for=pinned_versions_only
        ),
    )
