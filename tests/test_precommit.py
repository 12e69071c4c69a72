"""The pre-commit hook really runs: it fails on a pitfall and passes once it is fixed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

BAD = """\
import asyncio

import pytest


@pytest.mark.asyncio
async def test_sleep():
    asyncio.sleep(0.1)
"""


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def user_repo(tmp_path: Path, name: str, text: str) -> tuple[Path, Path]:
    """A git repository holding ``tests/<name>``; skips without git or pre-commit."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    pytest.importorskip("pre_commit")
    repo = tmp_path / "user-project"
    (repo / "tests").mkdir(parents=True)
    target = repo / "tests" / name
    target.write_text(text, encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "-c", "user.email=t@t", "-c", "user.name=t", "add", ".")
    return repo, target


def try_hook(tmp_path: Path, repo: Path, hook: str) -> subprocess.CompletedProcess[str]:
    """``pre-commit try-repo`` of this checkout's ``hook`` on every file of ``repo``."""
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("VIRTUAL_ENV", None)
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), hook]
    command += ["--all-files", "--color", "never"]
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True)


@pytest.mark.slow
def test_pre_commit_try_repo(tmp_path: Path) -> None:
    repo, target = user_repo(tmp_path, "test_sleep.py", BAD)

    failed = try_hook(tmp_path, repo, "loopdoctor")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "tests/test_sleep.py:8:5: LD301 [missing-await]" in failed.stdout

    target.write_text(BAD.replace("    asyncio.sleep", "    await asyncio.sleep"), "utf-8")
    git(repo, "add", ".")
    passed = try_hook(tmp_path, repo, "loopdoctor")
    assert passed.returncode == 0, passed.stdout + passed.stderr


LEGACY_CLIENT = """\
import httpx


def make_client(app):
    return httpx.AsyncClient(app=app, base_url="http://test")
"""


@pytest.mark.slow
def test_pre_commit_fix_hook(tmp_path: Path) -> None:
    """`loopdoctor-fix` rewrites the file (pre-commit fails: files were modified), then passes."""
    repo, target = user_repo(tmp_path, "clients.py", LEGACY_CLIENT)

    fixed = try_hook(tmp_path, repo, "loopdoctor-fix")
    assert fixed.returncode == 1, fixed.stdout + fixed.stderr
    assert "files were modified by this hook" in fixed.stdout
    assert "transport=httpx.ASGITransport(app=app)" in target.read_text(encoding="utf-8")

    git(repo, "add", ".")
    passed = try_hook(tmp_path, repo, "loopdoctor-fix")
    assert passed.returncode == 0, passed.stdout + passed.stderr
