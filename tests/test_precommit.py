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


@pytest.mark.slow
def test_pre_commit_try_repo(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    pytest.importorskip("pre_commit")
    repo = tmp_path / "user-project"
    (repo / "tests").mkdir(parents=True)
    target = repo / "tests" / "test_sleep.py"
    target.write_text(BAD, encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "-c", "user.email=t@t", "-c", "user.name=t", "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("VIRTUAL_ENV", None)
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "loopdoctor"]
    command += ["--all-files", "--color", "never"]

    failed = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "tests/test_sleep.py:8:5: LD301 [missing-await]" in failed.stdout

    target.write_text(BAD.replace("    asyncio.sleep", "    await asyncio.sleep"), "utf-8")
    git(repo, "add", ".")
    passed = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True)
    assert passed.returncode == 0, passed.stdout + passed.stderr


LEGACY_CLIENT = """\
import httpx


def make_client(app):
    return httpx.AsyncClient(app=app, base_url="http://test")
"""


@pytest.mark.slow
def test_pre_commit_fix_hook(tmp_path: Path) -> None:
    """`loopdoctor-fix` rewrites the file (pre-commit fails: files were modified), then passes."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    pytest.importorskip("pre_commit")
    repo = tmp_path / "user-project"
    (repo / "tests").mkdir(parents=True)
    target = repo / "tests" / "clients.py"
    target.write_text(LEGACY_CLIENT, encoding="utf-8")
    git(repo, "init", "-q")
    git(repo, "-c", "user.email=t@t", "-c", "user.name=t", "add", ".")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    env.pop("VIRTUAL_ENV", None)
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "loopdoctor-fix"]
    command += ["--all-files", "--color", "never"]

    fixed = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True)
    assert fixed.returncode == 1, fixed.stdout + fixed.stderr
    assert "files were modified by this hook" in fixed.stdout
    assert "transport=httpx.ASGITransport(app=app)" in target.read_text(encoding="utf-8")

    git(repo, "add", ".")
    passed = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True)
    assert passed.returncode == 0, passed.stdout + passed.stderr
