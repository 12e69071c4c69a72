"""Fix mechanics: safe writes, stale files, invalid results, imports, overlaps, --diff."""

from __future__ import annotations

import ast
import os
import random
import shutil
import stat
import sys
import sysconfig
import time
import warnings
from pathlib import Path

import libcst as cst
import pytest
from click.testing import CliRunner

from loopdoctor.cli import cli
from loopdoctor.diagnostic import Finding, FixSafety, Location, Severity
from loopdoctor.fixes import Edit, FixSite
from loopdoctor.fixes.imports import ImportNeed, add_imports, import_map, reference, used_names
from loopdoctor.fixing import fix_files, fix_source, write_changes
from loopdoctor.rule import Rule
from loopdoctor.rules import all_rules
from loopdoctor.testing import check_files, fix_in_place

MISSING_AWAIT = """\
import asyncio

import pytest


@pytest.mark.asyncio
async def test_sleep():
    # keep this comment
    asyncio.sleep(0.1)
"""

SYNC_MOCK = """\
from unittest.mock import AsyncMock, patch

import pytest


async def fetch() -> int:
    return 1


@pytest.mark.asyncio
async def test_patched():
    with patch(f"{__name__}.fetch") as fake:
        await fetch()
    fake.assert_called_once()
"""


def project(tmp_path: Path, files: dict[str, str], ini: str = "[pytest]\n") -> list[Path]:
    (tmp_path / "pytest.ini").write_text(ini, encoding="utf-8")
    written = []
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def fixed(tmp_path: Path, source: str, unsafe: bool = True) -> str:
    [path] = project(tmp_path, {"tests/test_example.py": source})
    outcome = fix_in_place([path], root=tmp_path, unsafe=unsafe)
    assert not outcome.errors, outcome.errors
    return path.read_text(encoding="utf-8")


# -- writing -------------------------------------------------------------------------------------
def test_atomic_write_keeps_mode_and_leaves_no_temp_file(tmp_path: Path) -> None:
    [path] = project(tmp_path, {"tests/test_example.py": MISSING_AWAIT})
    path.chmod(0o640)
    outcome = fix_in_place([path], root=tmp_path)
    assert outcome.fixed == 1 and not outcome.errors
    assert "    await asyncio.sleep(0.1)\n" in path.read_text(encoding="utf-8")
    assert "# keep this comment" in path.read_text(encoding="utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in path.parent.iterdir()) == ["test_example.py"]


def test_failed_rename_leaves_the_original(tmp_path: Path, monkeypatch) -> None:
    [path] = project(tmp_path, {"tests/test_example.py": MISSING_AWAIT})

    def refuse(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    outcome = fix_in_place([path], root=tmp_path)
    assert any("cannot write" in e.reason for e in outcome.errors)
    assert path.read_text(encoding="utf-8") == MISSING_AWAIT
    assert sorted(p.name for p in path.parent.iterdir()) == ["test_example.py"]
    assert outcome.fixed == 0 and [f.code for f in outcome.findings] == ["LD301"]


def test_file_changed_on_disk_is_not_overwritten(tmp_path: Path) -> None:
    [path] = project(tmp_path, {"tests/test_example.py": MISSING_AWAIT})
    from loopdoctor.engine import Checker
    from loopdoctor.selection import Selection
    from loopdoctor.testing import pinned_versions_only

    selection = Selection(select=("ALL",), root=tmp_path)
    outcome = fix_files(
        [path],
        lambda overlay: Checker(selection, version_for=pinned_versions_only).check(
            [path], overlay=overlay
        ),
        unsafe=True,
    )
    assert outcome.changes
    edited = MISSING_AWAIT + "\n# edited by someone else meanwhile\n"
    time.sleep(0.01)
    path.write_text(edited, encoding="utf-8")
    errors = write_changes(outcome)
    assert [e.reason for e in errors] == [
        "changed on disk since loopdoctor read it; not overwritten"
    ]
    assert path.read_text(encoding="utf-8") == edited


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_read_only_file_is_reported_and_left_alone(tmp_path: Path) -> None:
    [path] = project(tmp_path, {"tests/test_example.py": MISSING_AWAIT})
    path.chmod(0o444)
    outcome = fix_in_place([path], root=tmp_path)
    assert [e.reason for e in outcome.errors] == [
        "cannot fix: the file is read-only; left untouched"
    ]
    assert path.read_text(encoding="utf-8") == MISSING_AWAIT
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    result = CliRunner().invoke(cli, ["check", "--fix", "--unsafe-fixes", str(path)])
    assert result.exit_code == 1
    assert "read-only" in result.output


# -- fix correctness -----------------------------------------------------------------------------
class _AwaitEverywhere:
    """A deliberately wrong fix: ``await`` also in a sync def, which does not compile."""

    @classmethod
    def fix(cls, site: FixSite) -> Edit | None:
        call = site.node_of(cst.Call)
        return site.replace(call, cst.Await(expression=call)) if call is not None else None


def _finding(path: Path, line: int, col: int, end: int) -> Finding:
    return Finding(
        "LD999", "test", Severity.ERROR, "m", Location(path, line, col, line, end), FixSafety.SAFE
    )


def test_fix_that_breaks_the_file_is_dropped_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    source = "async def good():\n    work()\n\n\ndef bad():\n    work()\n"
    findings = [_finding(path, 2, 5, 11), _finding(path, 6, 5, 11)]
    new, applied, notes = fix_source(path, source.encode(), findings, {"LD999": _AwaitEverywhere})
    assert applied == 1
    assert new is not None and new.decode() == source.replace("    work()", "    await work()", 1)
    assert [n.reason for n in notes] == [
        "6:5: LD999: fix dropped: it would make the file invalid Python"
    ]


def test_overlapping_fixes_first_by_position_wins(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    source = "async def f():\n    outer(inner())\n"
    # outer(...) spans 2:5-2:19, inner() 2:11-2:18: the outer one comes first and wins.
    findings = [_finding(path, 2, 11, 18), _finding(path, 2, 5, 19)]
    new, applied, _ = fix_source(path, source.encode(), findings, {"LD999": _AwaitEverywhere})
    assert applied == 1 and new == b"async def f():\n    await outer(inner())\n"


def test_overlapping_real_fixes_converge_over_passes(tmp_path: Path) -> None:
    source = """\
import pytest
from fastapi import FastAPI

app = FastAPI()


def get_a() -> int:
    return 1


def get_b() -> int:
    return 2


@pytest.fixture
def overrides():
    app.dependency_overrides[get_a] = lambda: 10
    app.dependency_overrides[get_b] = lambda: 20
    return app
"""
    text = fixed(tmp_path, source)
    assert text.count("app.dependency_overrides.clear()") == 1
    assert text.endswith("    yield app\n    app.dependency_overrides.clear()\n")


def test_fixes_are_idempotent(tmp_path: Path) -> None:
    [path] = project(tmp_path, {"tests/test_example.py": SYNC_MOCK + MISSING_AWAIT[40:]})
    first = fix_in_place([path], root=tmp_path)
    assert first.fixed >= 1
    once = path.read_bytes()
    second = fix_in_place([path], root=tmp_path)
    assert second.fixed == 0 and not second.changes and path.read_bytes() == once


def test_unsafe_fixes_need_the_flag(tmp_path: Path) -> None:
    assert fixed(tmp_path, MISSING_AWAIT, unsafe=False) == MISSING_AWAIT
    runner = CliRunner()
    result = runner.invoke(cli, ["check", "--fix", str(tmp_path / "tests")])
    assert result.exit_code == 1
    assert "Fixed 0 findings (1 remaining); 1 more fixable with --unsafe-fixes" in result.output


# -- imports -------------------------------------------------------------------------------------
def _reference(source: str, home: str | tuple[str, ...], name: str, style: str = "name"):
    module = cst.parse_module(source)
    homes = (home,) if isinstance(home, str) else home
    nodes: list[cst.CSTNode] = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            nodes.append(node)
            return True

    module.visit(Collect())
    return reference(module, import_map(module), used_names(nodes), homes, name, style=style)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import unittest.mock as um\n", ("um.AsyncMock", None)),
        ("from unittest import mock\n", ("mock.AsyncMock", None)),
        ("import unittest.mock\n", ("unittest.mock.AsyncMock", None)),
        ("from unittest.mock import AsyncMock as AM\n", ("AM", None)),
        (
            "from unittest.mock import MagicMock\n",
            ("AsyncMock", ImportNeed("unittest.mock", "AsyncMock")),
        ),
        ("import os\n", ("AsyncMock", ImportNeed("unittest.mock", "AsyncMock"))),
        ("class AsyncMock: ...\n", None),  # the name is taken: no certain fix
        # attribute and keyword spellings bind nothing
        (
            "from unittest.mock import MagicMock\nm = mocker.AsyncMock(AsyncMock=1)\n",
            ("AsyncMock", ImportNeed("unittest.mock", "AsyncMock")),
        ),
    ],
)
def test_reference_reuses_imports_and_aliases(source: str, expected: object) -> None:
    assert _reference(source, "unittest.mock", "AsyncMock") == expected


def test_reference_module_style_and_equivalent_homes() -> None:
    assert _reference("import pytest_asyncio as pa\n", "pytest_asyncio", "fixture", "module") == (
        "pa.fixture",
        None,
    )
    assert _reference("import pytest\n", "pytest_asyncio", "fixture", "module") == (
        "pytest_asyncio.fixture",
        ImportNeed("pytest_asyncio"),
    )
    homes = ("sqlalchemy.pool", "sqlalchemy")
    assert _reference("from sqlalchemy import NullPool\n", homes, "NullPool") == ("NullPool", None)
    assert _reference("import sqlalchemy as sa\n", homes, "NullPool") == (
        "NullPool",
        ImportNeed("sqlalchemy.pool", "NullPool"),
    )


def test_add_imports_once_in_the_right_place() -> None:
    source = '"""Doc."""\n\nfrom __future__ import annotations\n\nimport pytest\n\nX = 1\n'
    need = ImportNeed("pytest_asyncio")
    module = add_imports(cst.parse_module(source), [need, need])
    assert module.code == (
        '"""Doc."""\n\nfrom __future__ import annotations\n\nimport pytest\nimport pytest_asyncio'
        "\n\nX = 1\n"
    )
    module = add_imports(
        cst.parse_module("from unittest.mock import (\n    MagicMock,\n    patch,\n)\n"),
        [ImportNeed("unittest.mock", "AsyncMock")],
    )
    assert (
        module.code
        == "from unittest.mock import (\n    MagicMock,\n    patch,\n    AsyncMock,\n)\n"
    )
    module = add_imports(
        cst.parse_module("# header comment\nX = 1\n"), [ImportNeed("unittest.mock", "AsyncMock")]
    )
    assert module.code == "# header comment\nfrom unittest.mock import AsyncMock\n\nX = 1\n"


def test_fix_reuses_an_alias_end_to_end(tmp_path: Path) -> None:
    source = """\
import unittest.mock as um

import pytest


async def send() -> None:
    return None


@pytest.mark.asyncio
async def test_send():
    with um.patch(f"{__name__}.send", new=um.MagicMock()):
        pass
"""
    text = fixed(tmp_path, source)
    assert "new=um.AsyncMock()" in text
    assert text.count("import") == 2  # nothing added


# -- --diff --------------------------------------------------------------------------------------
def test_diff_prints_and_writes_nothing(tmp_path: Path, monkeypatch) -> None:
    [path] = project(tmp_path, {"tests/test_example.py": MISSING_AWAIT})
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["check", "--diff", "--unsafe-fixes", "tests"])
    assert result.exit_code == 1, result.output
    assert "--- a/tests/test_example.py\n+++ b/tests/test_example.py\n" in result.output
    assert "-    asyncio.sleep(0.1)\n+    await asyncio.sleep(0.1)\n" in result.output
    assert "Would fix 1 finding (0 remaining)" in result.output
    assert path.read_text(encoding="utf-8") == MISSING_AWAIT
    clean = runner.invoke(cli, ["check", "--diff", "tests"])  # safe only: nothing to change
    assert clean.exit_code == 0, clean.output
    assert "---" not in clean.output


def test_fix_summary_and_exit_code(tmp_path: Path, monkeypatch) -> None:
    project(tmp_path, {"tests/test_example.py": MISSING_AWAIT})
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["check", "--fix", "--unsafe-fixes", "tests"])
    assert result.exit_code == 0, result.output
    assert "Fixed 1 finding (0 remaining)" in result.output


def test_json_marks_only_findings_a_fix_applies_to(tmp_path: Path) -> None:
    source = MISSING_AWAIT + "\n\ndef helper():\n    asyncio.sleep(0.1)\n"
    [path] = project(tmp_path, {"tests/test_example.py": source})
    import json

    result = CliRunner().invoke(cli, ["check", "--output-format", "json", str(path)])
    flags = {
        (f["line"], f["fix_available"], f["fix_safety"])
        for f in json.loads(result.output)["findings"]
    }
    assert flags == {(9, True, "unsafe"), (13, False, "none")}
    for code, rule in all_rules().items():  # a declared safety always comes with a fix()
        has_fix = rule.fix.__func__ is not Rule.fix.__func__  # type: ignore[attr-defined]
        assert has_fix == (rule.fix_safety is not FixSafety.NONE), code


# -- a real tree ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_fixing_a_copied_tree_changes_no_file_that_had_no_finding(tmp_path: Path) -> None:
    """Fixing a tree copied to a temp directory changes no file that had no finding."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    sources = [stdlib / "test" / "test_asyncio", stdlib / "unittest"]
    if not all(s.is_dir() for s in sources):
        pytest.skip("this interpreter ships without Lib/test/test_asyncio")
    for source in sources:
        shutil.copytree(
            source, tmp_path / source.name, ignore=shutil.ignore_patterns("__pycache__")
        )
    # One planted pitfall, so the run really rewrites something among the untouched files.
    planted = tmp_path / "test_asyncio" / "test_zz_planted.py"
    planted.write_text(MISSING_AWAIT, encoding="utf-8")
    from loopdoctor.discovery import discover

    files = discover([tmp_path], respect_gitignore=False).files
    before = {path: path.read_bytes() for path in files}
    started = time.perf_counter()
    outcome = fix_in_place(files, root=tmp_path)
    seconds = time.perf_counter() - started
    fixable = {
        path
        for path, found in outcome.first_findings.items()
        if any(f.fix is not FixSafety.NONE for f in found)
    }
    changed = {path for path in files if path.read_bytes() != before[path]}
    assert changed <= fixable, sorted(str(p) for p in changed - fixable)
    assert planted in changed
    for path in changed:
        compile(path.read_text(encoding="utf-8"), str(path), "exec", dont_inherit=True)
    assert not [e for e in outcome.errors if "dropped" in e.reason or "failed" in e.reason]
    print(f"\n{len(files)} files, {len(changed)} changed, {outcome.fixed} fixes, {seconds:.1f}s")


# -- fixes over mutated corpus code ----------------------------------------------------------------
CORPUS_SOURCES = sorted((Path(__file__).resolve().parent.parent / "fixtures_corpus").rglob("*.py"))


def mutate(source: str, rng: random.Random, edits: int) -> str | None:
    """A corpus module with a few structural edits: statements deleted or duplicated, defs made
    async or sync, awaits removed, decorators swapped. None when the result does not compile."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for _ in range(edits):
        bodies = [n.body for n in ast.walk(tree) if isinstance(getattr(n, "body", None), list)]
        bodies = [body for body in bodies if body]
        defs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        awaits = [
            (n, f)
            for n in ast.walk(tree)
            for f, v in ast.iter_fields(n)
            if isinstance(v, ast.Await)
        ]
        kind = rng.randrange(5)
        if kind == 0 and bodies:
            body = rng.choice(bodies)
            if len(body) > 1:
                body.pop(rng.randrange(len(body)))
        elif kind == 1 and bodies:
            body = rng.choice(bodies)
            body.insert(rng.randrange(len(body) + 1), rng.choice(body))
        elif kind == 2 and defs:
            node = rng.choice(defs)
            node.__class__ = (
                ast.FunctionDef if isinstance(node, ast.AsyncFunctionDef) else ast.AsyncFunctionDef
            )
        elif kind == 3 and awaits:
            parent, name = rng.choice(awaits)
            setattr(parent, name, getattr(parent, name).value)
        elif kind == 4 and len(defs) > 1:
            a, b = rng.sample(defs, 2)
            a.decorator_list, b.decorator_list = b.decorator_list, a.decorator_list
    try:
        text = ast.unparse(ast.fix_missing_locations(tree))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "mutant", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError):
        return None
    return text


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(25))
def test_fixes_on_mutated_corpus_code(seed: int, tmp_path: Path) -> None:
    """The autofix contract on code nobody wrote by hand: the fixed files compile, no finding
    with a fix is left, and a second pass changes nothing."""
    rng = random.Random(seed)
    source = mutate(rng.choice(CORPUS_SOURCES).read_text(encoding="utf-8"), rng, rng.randint(0, 6))
    if source is None:
        pytest.skip("the mutant does not compile")
    ini = rng.choice(["[pytest]\n", "[pytest]\nasyncio_mode = auto\n"])
    files = project(tmp_path, {"tests/test_m.py": source, "tests/conftest.py": source}, ini)
    outcome = fix_in_place(files, root=tmp_path)
    assert not [e for e in outcome.errors if "dropped" in e.reason or "failed" in e.reason]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in files:
            compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    findings, _ = check_files(files, root=tmp_path)
    assert not [f for f in findings if f.fix is not FixSafety.NONE]
    once = {path: path.read_bytes() for path in files}
    again = fix_in_place(files, root=tmp_path)
    assert again.fixed == 0 and {path: path.read_bytes() for path in files} == once
