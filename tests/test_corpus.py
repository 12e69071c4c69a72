"""The annotated corpus, checked both ways: every finding annotated, every annotation found."""

from __future__ import annotations

from pathlib import Path

import pytest

from loopdoctor.testing import (
    check_files,
    check_tree,
    compare,
    materialise_single,
    parse_annotations,
)

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fixtures_corpus"
SINGLE = sorted((CORPUS / "single").glob("*.py"))
PROJECTS = sorted(p for p in (CORPUS / "projects").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", SINGLE, ids=lambda p: p.stem)
def test_single_file_case(case: Path, tmp_path: Path) -> None:
    target = materialise_single(case, tmp_path)
    findings, errors = check_files([target], root=tmp_path)
    assert not errors, errors
    # The pytest.ini is generated from the header: findings there belong to the harness.
    findings = [f for f in findings if f.location.path == target]
    expected = parse_annotations(target, target.read_text(encoding="utf-8"))
    result = compare(expected, findings)
    assert result.ok, f"{case.name}:\n{result.explain()}"


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_project_case(project: Path) -> None:
    result, errors = check_tree(project)
    assert not errors, errors
    assert result.ok, f"{project.name}:\n{result.explain()}"


def test_corpus_is_not_empty() -> None:
    assert len(SINGLE) >= 10
    assert len(PROJECTS) >= 2
