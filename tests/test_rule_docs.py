"""Every rule page has the fixed headings, and its examples do what the page says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from loopdoctor.rules import all_rules
from loopdoctor.testing import check_files, fix_in_place, write_example

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "rules").glob("LD*.md"))
HEADINGS = ["What it does", "Why is this bad?", "Example", "Use instead"]
BLOCK_RE = re.compile(r"```python\n(.*?)```", re.DOTALL)


def sections(text: str) -> dict[str, str]:
    parts = re.split(r"^## (.+)$", text, flags=re.MULTILINE)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_page_layout(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    code = page.stem
    rule = all_rules()[code]
    assert text.startswith(f"# {code}: {rule.name}\n"), "title must be '# CODE: slug'"
    found = list(sections(text))
    expected = [h for h in HEADINGS]
    if rule.fix_safety.value != "none":
        expected.append("Fix safety")
    expected.append("References")
    if code == "LD001":
        expected = ["What it does", "Why is this bad?", "Example", "Use instead", "References"]
    assert found == expected, f"headings must be exactly {expected}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_page_examples(page: Path, tmp_path: Path) -> None:
    code = page.stem
    parts = sections(page.read_text(encoding="utf-8"))
    bad = BLOCK_RE.findall(parts["Example"])
    good = BLOCK_RE.findall(parts["Use instead"])
    assert bad and good, "Example and Use instead need a python block each"
    for index, block in enumerate(bad):
        work = tmp_path / f"bad{index}"
        work.mkdir()
        files = write_example(block, work)
        findings, _ = check_files(files, select=(code,), root=work)
        assert any(f.code == code for f in findings), f"Example {index} does not produce {code}"
    for index, block in enumerate(good):
        work = tmp_path / f"good{index}"
        work.mkdir()
        files = write_example(block, work)
        findings, _ = check_files(files, select=("ALL",), root=work)
        # A pytest.ini the harness generated from `# config:` lines is not part of the example.
        written = (
            set(files) | {work / "pyproject.toml"}
            if (work / "pyproject.toml").exists()
            else set(files)
        )
        findings = [f for f in findings if f.location.path in written]
        assert not findings, f"Use instead {index} is not clean: {findings}"


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_metadata_line_names_the_fix(page: Path) -> None:
    rule = all_rules()[page.stem]
    meta = page.read_text(encoding="utf-8").splitlines()[2]
    assert f"Fix: {rule.fix_safety.value}" in meta, (
        f"metadata line must say Fix: {rule.fix_safety.value}"
    )


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_fix_safety_example(page: Path, tmp_path: Path) -> None:
    """The Fix safety block is what `check --fix --unsafe-fixes` makes of the first Example.

    Both blocks are written out the same way (``# file:`` / ``# config:`` lines included), the
    Example is fixed in place with only this rule selected, and the two trees must be equal;
    the fixed code no longer has the finding.
    """
    code = page.stem
    parts = sections(page.read_text(encoding="utf-8"))
    if "Fix safety" not in parts:
        pytest.skip("no fix")
    fixed_blocks = BLOCK_RE.findall(parts["Fix safety"])
    assert fixed_blocks, "Fix safety needs a python block: the first Example block, fixed"
    work, expected = tmp_path / "fixed", tmp_path / "expected"
    work.mkdir()
    expected.mkdir()
    files = write_example(BLOCK_RE.findall(parts["Example"])[0], work)
    outcome = fix_in_place(files, select=(code,), root=work)
    assert not outcome.errors, outcome.errors
    assert outcome.fixed, "the fix did not apply to the Example"
    write_example(fixed_blocks[0], expected)
    assert _tree(work) == _tree(expected)
    findings, _ = check_files(files, select=(code,), root=work)
    assert not [f for f in findings if f.code == code], findings
