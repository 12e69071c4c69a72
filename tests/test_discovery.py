"""Tests for loopdoctor.discovery: excludes, .gitignore, symlinks, bad input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import loopdoctor.discovery as discovery
from loopdoctor.discovery import (
    DEFAULT_EXCLUDES,
    Discovered,
    DiscoveryError,
    MissingPathError,
    discover,
    is_excluded,
)


def touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n", encoding="utf-8")


def rel(result: Discovered, root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in result.files]


def test_only_py_files_sorted_absolute(tmp_path: Path) -> None:
    touch(tmp_path, "b.py", "a.py", "stub.pyi", "notes.txt", "pkg/z.py", "pkg/__init__.py")
    result = discover([tmp_path], root=tmp_path)
    assert rel(result, tmp_path) == ["a.py", "b.py", "pkg/__init__.py", "pkg/z.py"]
    assert all(p.is_absolute() for p in result.files)
    assert result.errors == []


def test_relative_path_arguments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    touch(tmp_path, "src/a.py")
    monkeypatch.chdir(tmp_path)
    result = discover([Path("src")])
    assert result.files == [tmp_path / "src" / "a.py"]


def test_default_excludes_and_near_misses(tmp_path: Path) -> None:
    touch(
        tmp_path,
        ".venv/lib/a.py",
        "venv/a.py",
        "build/a.py",
        "dist/a.py",
        "pkg.egg-info/a.py",
        "__pycache__/a.py",
        "node_modules/x/a.py",
        ".git/hooks/a.py",
        "src/.tox/a.py",
        "lib/site-packages/a.py",
        # near misses: similar names that are not excluded
        "builds/a.py",
        "my_venv/a.py",
        "src/build.py",
        "distro/a.py",
        "egg_info/a.py",
    )
    result = discover([tmp_path], root=tmp_path)
    assert rel(result, tmp_path) == [
        "builds/a.py",
        "distro/a.py",
        "egg_info/a.py",
        "my_venv/a.py",
        "src/build.py",
    ]
    assert "site-packages" in DEFAULT_EXCLUDES


def test_any_virtualenv_is_skipped(tmp_path: Path) -> None:
    touch(tmp_path, "envs/py311/lib/a.py", "envs/py311/pyvenv.cfg", "envs/notenv/b.py")
    result = discover([tmp_path], root=tmp_path)
    assert rel(result, tmp_path) == ["envs/notenv/b.py"]


def test_exclude_replaces_defaults_and_extend_adds(tmp_path: Path) -> None:
    touch(tmp_path, "build/a.py", "gen/a.py", "x_pb2.py", "tests/fixtures/f.py", "tests/t.py")
    result = discover([tmp_path], root=tmp_path, exclude=["gen"])
    assert rel(result, tmp_path) == [
        "build/a.py",
        "tests/fixtures/f.py",
        "tests/t.py",
        "x_pb2.py",
    ]
    result = discover([tmp_path], root=tmp_path, extend_exclude=["*_pb2.py", "tests/fixtures"])
    assert rel(result, tmp_path) == ["gen/a.py", "tests/t.py"]


def test_anchored_exclude_is_root_relative(tmp_path: Path) -> None:
    touch(tmp_path, "tests/fixtures/a.py", "other/tests/fixtures/b.py")
    result = discover([tmp_path], root=tmp_path, extend_exclude=["tests/fixtures/"])
    assert rel(result, tmp_path) == ["other/tests/fixtures/b.py"]


def test_explicit_file_always_included(tmp_path: Path) -> None:
    touch(tmp_path, "build/gen.py", "ignored.py", "script")
    (tmp_path / ".gitignore").write_text("ignored.py\n")
    files = [tmp_path / "build" / "gen.py", tmp_path / "ignored.py", tmp_path / "script"]
    result = discover(files, root=tmp_path)
    assert result.files == sorted(files)


def test_explicit_excluded_dir_is_walked_but_children_filtered(tmp_path: Path) -> None:
    touch(tmp_path, "build/a.py", "build/__pycache__/b.py")
    result = discover([tmp_path / "build"], root=tmp_path)
    assert rel(result, tmp_path) == ["build/a.py"]


def test_missing_path(tmp_path: Path) -> None:
    touch(tmp_path, "a.py")
    with pytest.raises(MissingPathError) as exc:
        discover([tmp_path / "a.py", tmp_path / "nope"])
    assert exc.value.path == tmp_path / "nope"
    assert "nope" in str(exc.value)


def test_duplicates_once(tmp_path: Path) -> None:
    touch(tmp_path, "pkg/a.py", "pkg/sub/b.py")
    a = tmp_path / "pkg" / "a.py"
    result = discover([a, tmp_path / "pkg", a, tmp_path / "pkg" / "sub", tmp_path], root=tmp_path)
    assert rel(result, tmp_path) == ["pkg/a.py", "pkg/sub/b.py"]


# ---------------------------------------------------------------- .gitignore


def test_gitignore_features(tmp_path: Path) -> None:
    (tmp_path / ".git" / "info").mkdir(parents=True)
    (tmp_path / ".git" / "info" / "exclude").write_text("# local\nlocal_*.py\n")
    (tmp_path / ".gitignore").write_text(
        "# comment\n"
        "\n"
        "gen_*.py\n"
        "!gen_keep.py\n"
        "/top.py\n"
        "cache/\n"
        "docs/**/conf.py\n"
        "tmp?.py\n"
        "data[0-9].py\n"
        "\\#hash.py\n"
        "secret.py   \n"
    )
    touch(
        tmp_path,
        "gen_a.py",
        "gen_keep.py",
        "top.py",
        "sub/top.py",
        "cache/a.py",
        "cache.py",
        "docs/conf.py",
        "docs/x/y/conf.py",
        "tmp1.py",
        "tmp12.py",
        "data5.py",
        "datax.py",
        "#hash.py",
        "secret.py",
        "local_x.py",
        "sub/local_y.py",
        "keep.py",
    )
    result = discover([tmp_path], root=tmp_path)
    assert rel(result, tmp_path) == [
        "cache.py",
        "datax.py",
        "gen_keep.py",
        "keep.py",
        "sub/top.py",
        "tmp12.py",
    ]
    everything = discover([tmp_path], root=tmp_path, respect_gitignore=False)
    assert len(everything.files) == 17


def test_nested_gitignore_applies_to_its_dir_only(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    touch(tmp_path, "a/skip.py", "a/b/skip.py", "a/b/keep_me.py", "c/skip.py")
    (tmp_path / "a" / ".gitignore").write_text("skip.py\n")
    (tmp_path / "a" / "b" / ".gitignore").write_text("!skip.py\n")
    result = discover([tmp_path], root=tmp_path)
    assert rel(result, tmp_path) == ["a/b/keep_me.py", "a/b/skip.py", "c/skip.py"]


def test_parent_gitignore_applies_when_walking_a_subdir(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("generated/\n/src/only_root.py\n")
    touch(tmp_path, "src/generated/a.py", "src/b.py", "src/pkg/only_root.py")
    result = discover([tmp_path / "src"], root=tmp_path / "src")
    assert rel(result, tmp_path) == ["src/b.py", "src/pkg/only_root.py"]


def test_gitignore_of_another_repo_above_is_not_used(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.py\n")
    inner = tmp_path / "inner"
    (inner / ".git").mkdir(parents=True)
    touch(inner, "a.py")
    assert rel(discover([inner], root=inner), inner) == ["a.py"]


def test_worktree_git_file(tmp_path: Path) -> None:
    gitdir = tmp_path / "real-gitdir"
    (gitdir / "info").mkdir(parents=True)
    (gitdir / "info" / "exclude").write_text("hidden.py\n")
    work = tmp_path / "work"
    work.mkdir()
    (work / ".git").write_text(f"gitdir: {gitdir}\n")
    touch(work, "hidden.py", "shown.py")
    assert rel(discover([work], root=work), work) == ["shown.py"]


# ---------------------------------------------------------------- symlinks


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_loop_terminates(tmp_path: Path) -> None:
    touch(tmp_path, "pkg/a.py", "pkg/sub/b.py")
    (tmp_path / "pkg" / "sub" / "loop").symlink_to(tmp_path / "pkg", target_is_directory=True)
    (tmp_path / "pkg" / "self").symlink_to(".", target_is_directory=True)
    result = discover([tmp_path], root=tmp_path)
    assert rel(result, tmp_path) == ["pkg/a.py", "pkg/sub/b.py"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlinked_dir_outside_and_symlinked_file(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    touch(outside, "shared.py", "lib/deep.py")
    proj = tmp_path / "proj"
    touch(proj, "real.py")
    (proj / "linked").symlink_to(outside, target_is_directory=True)
    (proj / "alias.py").symlink_to(outside / "shared.py")
    (proj / "dangling.py").symlink_to(tmp_path / "missing.py")
    (proj / "twin.py").symlink_to(proj / "real.py")
    result = discover([proj], root=proj)
    # alias.py and linked/shared.py are the same file: reported once
    names = rel(result, proj)
    assert "real.py" in names and "twin.py" not in names
    assert "linked/lib/deep.py" in names
    assert len([n for n in names if n.endswith("shared.py") or n == "alias.py"]) == 1
    assert len(names) == 3
    assert result.errors == []


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_explicit_dangling_symlink_is_an_error_not_a_crash(tmp_path: Path) -> None:
    link = tmp_path / "gone.py"
    link.symlink_to(tmp_path / "missing.py")
    result = discover([link], root=tmp_path)
    assert result.files == []
    assert result.errors == [DiscoveryError(link, "broken symbolic link")]


# ---------------------------------------------------------------- permission errors


def test_unreadable_directory_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    touch(tmp_path, "ok/a.py", "locked/b.py")
    real_scandir = os.scandir
    locked = str(tmp_path / "locked")

    def fake_scandir(path: str | os.PathLike[str]) -> object:
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real_scandir(path)

    monkeypatch.setattr(discovery.os, "scandir", fake_scandir)
    result = discover([tmp_path], root=tmp_path)
    assert rel(result, tmp_path) == ["ok/a.py"]
    assert result.errors == [DiscoveryError(tmp_path / "locked", "permission denied")]


def test_unreadable_file_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    touch(tmp_path, "a.py", "secret.py")
    real_access = os.access
    secret = str(tmp_path / "secret.py")

    def fake_access(path: str | os.PathLike[str], mode: int) -> bool:
        return False if os.fspath(path) == secret else real_access(path, mode)

    monkeypatch.setattr(discovery.os, "access", fake_access)
    result = discover([tmp_path], root=tmp_path)
    assert rel(result, tmp_path) == ["a.py"]
    assert result.errors == [DiscoveryError(tmp_path / "secret.py", "permission denied")]
    explicit = discover([tmp_path / "secret.py"], root=tmp_path)
    assert explicit.files == [] and explicit.errors[0].reason == "permission denied"


# ---------------------------------------------------------------- is_excluded


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("build", "build/x.py", True),
        ("build", "src/build/x.py", True),
        ("build", "builder/x.py", False),
        ("*.egg-info", "pkg.egg-info/PKG-INFO", True),
        ("tests/data", "tests/data/x.py", True),
        ("tests/data", "src/tests/data/x.py", False),
        ("/tests", "tests/x.py", True),
        ("**/gen", "a/b/gen/x.py", True),
        ("a/**/z.py", "a/z.py", True),
        ("a/**/z.py", "a/b/c/z.py", True),
        ("a/**", "a/b.py", True),
        ("a/**", "ab/c.py", False),
        ("x?.py", "x1.py", True),
        ("x?.py", "x/.py", False),
        ("[!a]*.py", "b.py", True),
        ("[!a]*.py", "a.py", False),
        ("[ab].py", "c.py", False),
        ("[unterminated.py", "[unterminated.py", True),
        ("lit\\*.py", "lit*.py", True),
        ("lit\\*.py", "litx.py", False),
        ("./local", "local/a.py", True),
        ("", "a.py", False),
        ("# just a comment", "# just a comment", False),
    ],
)
def test_is_excluded(tmp_path: Path, pattern: str, path: str, expected: bool) -> None:
    assert is_excluded(tmp_path / path, [pattern], tmp_path) is expected


def test_is_excluded_dir_only_pattern(tmp_path: Path) -> None:
    touch(tmp_path, "cache/a.py", "other/cache")
    assert is_excluded(tmp_path / "cache", ["cache/"], tmp_path)
    assert is_excluded(tmp_path / "cache" / "a.py", ["cache/"], tmp_path)
    assert not is_excluded(tmp_path / "other" / "cache", ["cache/"], tmp_path)


def test_is_excluded_outside_root_and_root_itself(tmp_path: Path) -> None:
    assert not is_excluded(tmp_path, ["*"], tmp_path)
    assert is_excluded(tmp_path.parent / "x" / "build" / "a.py", ["build"], tmp_path)
    assert not is_excluded(tmp_path / "a.py", [], tmp_path)
