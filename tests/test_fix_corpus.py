"""Golden autofix outputs: every fixable corpus case, fixed with `--fix --unsafe-fixes`.

Single-file cases have ``fixtures_corpus/fixed/<case>.fixed.py``; a mini project has
``fixtures_corpus/fixed/<project>/<path>.fixed.py`` for each file the fixes change. The goldens
are rewritten only with ``LOOPDOCTOR_REGEN_GOLDEN=1`` (a missing golden fails otherwise). For
each case the harness checks: the fixed text equals the golden, parses and compiles, no finding
with a fix is left, and a second `--fix --unsafe-fixes` pass changes nothing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from loopdoctor.diagnostic import FixSafety
from loopdoctor.discovery import discover
from loopdoctor.testing import check_files, fix_in_place, materialise_single

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fixtures_corpus"
GOLDEN = CORPUS / "fixed"
SINGLE = sorted((CORPUS / "single").glob("*.py"))
PROJECTS = sorted(p for p in (CORPUS / "projects").iterdir() if p.is_dir())
REGEN = os.environ.get("LOOPDOCTOR_REGEN_GOLDEN") == "1"


def golden_name(relative: Path) -> Path:
    return relative.with_name(relative.stem + ".fixed.py")


def check_golden(golden: Path, text: str) -> None:
    if REGEN:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
        return
    assert golden.exists(), f"no golden {golden.relative_to(ROOT)}; LOOPDOCTOR_REGEN_GOLDEN=1"
    assert text == golden.read_text(encoding="utf-8"), f"fixed output differs from {golden.name}"


def fix_twice(files: list[Path], root: Path) -> dict[Path, bytes]:
    """Fix, then check what the contract promises; returns the files' bytes before fixing."""
    before = {path: path.read_bytes() for path in files}
    first = fix_in_place(files, root=root)
    assert not first.errors, first.errors
    for path in first.changes:
        compile(path.read_text(encoding="utf-8"), str(path), "exec", dont_inherit=True)
    findings, _ = check_files(files, root=root)
    left = [f for f in findings if f.fix is not FixSafety.NONE]
    assert not left, f"findings with a fix are left: {left}"
    after = {path: path.read_bytes() for path in files}
    second = fix_in_place(files, root=root)
    assert second.fixed == 0 and not second.changes, "a second --fix pass changed the code"
    assert {path: path.read_bytes() for path in files} == after
    return before


@pytest.mark.parametrize("case", SINGLE, ids=lambda p: p.stem)
def test_single_case_fix(case: Path, tmp_path: Path) -> None:
    target = materialise_single(case, tmp_path)
    findings, _ = check_files([target], root=tmp_path)
    golden = GOLDEN / golden_name(Path(case.name))
    if not any(f.fix is not FixSafety.NONE for f in findings):
        assert not golden.exists(), f"{golden.name}: the case has nothing to fix any more"
        pytest.skip("nothing to fix")
    before = fix_twice([target], tmp_path)
    assert target.read_bytes() != before[target]
    check_golden(golden, target.read_text(encoding="utf-8"))


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_project_fix(project: Path, tmp_path: Path) -> None:
    work = tmp_path / project.name
    shutil.copytree(project, work)
    files = discover([work], respect_gitignore=False).files
    findings, _ = check_files(files, root=work)
    goldens = GOLDEN / project.name
    if not any(f.fix is not FixSafety.NONE for f in findings):
        assert not goldens.exists(), f"{goldens.name}: the project has nothing to fix any more"
        pytest.skip("nothing to fix")
    before = fix_twice(files, work)
    changed = {path.relative_to(work) for path in files if path.read_bytes() != before[path]}
    assert changed
    expected = {golden_name(rel) for rel in changed}
    if REGEN and goldens.exists():
        shutil.rmtree(goldens)
    for rel in sorted(changed):
        check_golden(goldens / golden_name(rel), (work / rel).read_text(encoding="utf-8"))
    present = {p.relative_to(goldens) for p in goldens.rglob("*.fixed.py")}
    assert present == expected, "goldens exist for files the fixes no longer change"
