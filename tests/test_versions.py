"""Tests for loopdoctor.versions: installed, pinned and assumed versions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loopdoctor.versions import (
    DetectedVersion,
    canonicalize_name,
    clear_cache,
    declared_dependencies,
    detect_version,
    parse_version,
    uses_distribution,
)


def nothing_installed(name: str) -> str | None:
    return None


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def detect(name: str, root: Path) -> DetectedVersion:
    return detect_version(name, root, installed=nothing_installed)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Pytest_Asyncio", "pytest-asyncio"),
        ("SQLAlchemy", "sqlalchemy"),
        ("zope.interface", "zope-interface"),
        ("a__b--c..d", "a-b-c-d"),
    ],
)
def test_canonicalize_name(raw: str, canonical: str) -> None:
    assert canonicalize_name(raw) == canonical


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.21.2", (0, 21, 2)),
        ("1.0.0a1", (1, 0, 0)),
        ("2.0.0rc2", (2, 0, 0)),
        ("1.4.post1", (1, 4)),
        ("v3.1", (3, 1)),
        ("1!2.3", (2, 3)),
        ("2024.1.15.dev0+local", (2024, 1, 15)),
        ("unknown", None),
        ("", None),
    ],
)
def test_parse_version(text: str, expected: tuple[int, ...] | None) -> None:
    assert parse_version(text) == expected


def test_detected_version_helpers() -> None:
    v = DetectedVersion("pytest-asyncio", (0, 21, 2), "pinned in pyproject.toml")
    assert v.at_least(0, 21) and v.at_least(0, 21, 2) and not v.at_least(0, 23)
    assert not v.at_least(1)
    assert v.describe() == "pytest-asyncio 0.21.2 (pinned in pyproject.toml)"
    newest = DetectedVersion("sqlalchemy", None, "assumed newest")
    assert newest.at_least(99, 0)
    assert newest.describe() == "sqlalchemy (assumed newest)"
    assert DetectedVersion("x", (2,), "installed").at_least(2, 0, 0)


def test_installed_wins_over_ranges_and_agreeing_pins(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "pytest-asyncio>=0.21\nhttpx==0.27.2\n")
    seen: list[str] = []

    def fake(name: str) -> str | None:
        seen.append(name)
        return {"pytest-asyncio": "0.23.5", "httpx": "0.27.0"}.get(name)

    got = detect_version("Pytest_Asyncio", tmp_path, installed=fake)
    assert got == DetectedVersion("pytest-asyncio", (0, 23, 5), "installed")
    assert seen == ["pytest-asyncio"]
    assert detect_version("httpx", tmp_path, installed=fake).source == "installed"


def test_exact_pin_that_disagrees_with_installed_wins(tmp_path: Path) -> None:
    """loopdoctor running outside the project's venv (pre-commit) must not trust its own env."""
    write(tmp_path / "requirements.txt", "pytest-asyncio==0.21.2\n")
    got = detect_version("pytest-asyncio", tmp_path, installed=lambda _n: "1.5.0")
    assert got.version == (0, 21, 2) and got.source.startswith("pinned in requirements.txt")


def test_series_pin_that_disagrees_with_installed_wins(tmp_path: Path) -> None:
    """``==0.23.*`` pins one release series (asgi-lifespan's requirements.txt): an installed
    0.28 means loopdoctor runs outside the project's environment; a matching one is used."""
    write(tmp_path / "requirements.txt", "httpx==0.23.*\n")
    got = detect_version("httpx", tmp_path, installed=lambda _n: "0.28.1")
    assert got.version == (0, 23) and got.source.startswith("pinned in requirements.txt")
    same = detect_version("httpx", tmp_path, installed=lambda _n: "0.23.3")
    assert same.version == (0, 23, 3) and same.source == "installed"


def test_pins_found_in_a_parent_of_the_pytest_rootdir(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\ndependencies = ["sqlalchemy==2.0.30"]\n')
    (tmp_path / ".git").mkdir()
    got = detect_version("sqlalchemy", tmp_path / "tests", installed=lambda _n: None)
    assert got.version == (2, 0, 30)


def test_default_installed_lookup_reads_metadata(tmp_path: Path) -> None:
    got = detect_version("PyTest", tmp_path)
    assert got.source == "installed" and got.version is not None and got.at_least(7)
    missing = detect_version("surely-not-installed-dist-xyz", tmp_path)
    assert missing == DetectedVersion("surely-not-installed-dist-xyz", None, "assumed newest")


def test_unparseable_installed_version_falls_through(tmp_path: Path) -> None:
    write(tmp_path / "requirements.txt", "sqlalchemy==1.4.52\n")
    got = detect_version("sqlalchemy", tmp_path, installed=lambda n: "weird")
    assert got.version == (1, 4, 52)


def test_assumed_newest(tmp_path: Path) -> None:
    got = detect("sqlalchemy", tmp_path)
    assert got == DetectedVersion("sqlalchemy", None, "assumed newest")
    assert got.at_least(2, 0)


def test_pyproject_project_tables(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        """
[project]
name = "app"
dependencies = ["SQLAlchemy[asyncio]>=1.4.40,<2 ; python_version >= '3.8'", "fastapi"]
[project.optional-dependencies]
test = ["pytest-asyncio==0.21.2", "httpx~=0.27.0"]
[dependency-groups]
dev = ["anyio>4", {include-group = "test"}, "aiosqlite (>=0.19)"]
""",
    )
    assert detect("sqlalchemy", tmp_path) == DetectedVersion(
        "sqlalchemy", (1, 4, 40), "pinned in pyproject.toml (>=1.4.40,<2)"
    )
    assert detect("pytest_asyncio", tmp_path).describe() == (
        "pytest-asyncio 0.21.2 (pinned in pyproject.toml)"
    )
    assert detect("httpx", tmp_path).version == (0, 27, 0)
    assert detect("anyio", tmp_path).version == (4,)
    assert detect("aiosqlite", tmp_path).version == (0, 19)
    assert detect("fastapi", tmp_path).source == "assumed newest"
    declared = declared_dependencies(tmp_path)
    assert declared["sqlalchemy"] == ">=1.4.40,<2"
    assert declared["fastapi"] == ""
    assert set(declared) == {
        "sqlalchemy",
        "fastapi",
        "pytest-asyncio",
        "httpx",
        "anyio",
        "aiosqlite",
    }


def test_poetry_tables(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        """
[tool.poetry.dependencies]
python = "^3.10"
SQLAlchemy = {version = "^2.0.10", extras = ["asyncio"]}
httpx = "0.27.2"
anyio = [{version = "^4.0", python = ">=3.10"}, {version = "^3.7", python = "<3.10"}]
[tool.poetry.group.test.dependencies]
pytest-asyncio = "~0.23"
[tool.poetry.dev-dependencies]
asgi-lifespan = "*"
""",
    )
    assert detect("sqlalchemy", tmp_path).version == (2, 0, 10)
    assert detect("httpx", tmp_path).source == "pinned in pyproject.toml"
    assert detect("anyio", tmp_path).version == (4, 0)
    assert detect("pytest-asyncio", tmp_path).version == (0, 23)
    assert detect("asgi-lifespan", tmp_path).source == "assumed newest"
    assert "python" not in declared_dependencies(tmp_path)
    assert uses_distribution("ASGI_Lifespan", tmp_path)


def test_lock_beats_range_and_exact(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\ndependencies = ["sqlalchemy>=2.0"]\n')
    write(tmp_path / "requirements-dev.txt", "sqlalchemy==2.0.1\n")
    assert detect("sqlalchemy", tmp_path).source == "pinned in requirements-dev.txt"
    clear_cache()
    write(
        tmp_path / "poetry.lock",
        '[[package]]\nname = "SQLAlchemy"\nversion = "2.0.36"\n\n'
        '[[package]]\nname = "greenlet"\nversion = "3.1.1"\n',
    )
    got = detect("sqlalchemy", tmp_path)
    assert got == DetectedVersion("sqlalchemy", (2, 0, 36), "pinned in poetry.lock")
    # locks are not declarations: a transitive dependency is not "used"
    assert not uses_distribution("greenlet", tmp_path)
    assert detect("greenlet", tmp_path).version == (3, 1, 1)


@pytest.mark.parametrize("lock", ["uv.lock", "pdm.lock"])
def test_other_toml_locks(tmp_path: Path, lock: str) -> None:
    write(
        tmp_path / lock,
        'version = 1\n[[package]]\nname = "pytest-asyncio"\nversion = "0.24.0"\n'
        'source = { registry = "https://pypi.org/simple" }\n',
    )
    assert detect("pytest-asyncio", tmp_path).describe() == (
        f"pytest-asyncio 0.24.0 (pinned in {lock})"
    )


def test_pipfile_and_lock(tmp_path: Path) -> None:
    write(tmp_path / "Pipfile", '[packages]\nhttpx = "*"\n[dev-packages]\npytest = ">=7"\n')
    assert declared_dependencies(tmp_path) == {"httpx": "", "pytest": ">=7"}
    assert detect("httpx", tmp_path).source == "assumed newest"
    clear_cache()
    lock = {"_meta": {}, "default": {"httpx": {"version": "==0.25.1"}}, "develop": {}}
    write(tmp_path / "Pipfile.lock", json.dumps(lock))
    assert detect("httpx", tmp_path).describe() == "httpx 0.25.1 (pinned in Pipfile.lock)"


def test_requirements_files_and_includes(tmp_path: Path) -> None:
    write(
        tmp_path / "requirements.txt",
        "# base\n-r requirements/test.txt\n--index-url https://example.org/simple\n"
        "-e git+https://github.com/x/y.git#egg=y\n"
        "fastapi>=0.100  # web\n"
        "mylib @ https://example.org/mylib-1.0.tar.gz\n",
    )
    write(
        tmp_path / "requirements" / "test.txt",
        "-c ../constraints.txt\npytest-asyncio \\\n    >=0.21,<0.22\n",
    )
    write(tmp_path / "constraints.txt", "anyio==4.4.0\n-r requirements.txt\n")  # cycle
    write(tmp_path / "dev-requirements.txt", "aiosqlite==0.20.0\n")
    assert detect("fastapi", tmp_path).version == (0, 100)
    assert detect("pytest-asyncio", tmp_path).source == (
        "pinned in requirements/test.txt (>=0.21,<0.22)"
    )
    assert detect("anyio", tmp_path).source == "pinned in constraints.txt"
    assert detect("aiosqlite", tmp_path).version == (0, 20, 0)
    assert uses_distribution("mylib", tmp_path)
    assert detect("mylib", tmp_path).source == "assumed newest"
    assert not uses_distribution("y", tmp_path)


def test_setup_cfg(tmp_path: Path) -> None:
    write(
        tmp_path / "setup.cfg",
        "[metadata]\nname = app\n[options]\ninstall_requires =\n    sqlalchemy>=1.4,<1.5\n"
        "    httpx\n[options.extras_require]\ntest =\n    pytest-asyncio==0.20.3\n",
    )
    assert detect("sqlalchemy", tmp_path).version == (1, 4)
    assert detect("pytest-asyncio", tmp_path).version == (0, 20, 3)
    assert uses_distribution("httpx", tmp_path)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("==1.2.3", (1, 2, 3)),
        ("===1.2.3", (1, 2, 3)),
        ("<2,>=1.4", (1, 4)),
        (">=1.4,==1.4.7", (1, 4, 7)),
        ("==1.4.*", (1, 4)),
        ("!=1.3,<2", None),
        ("<2", None),
        ("~=1.4.2", (1, 4, 2)),
        (">1.2", (1, 2)),
    ],
)
def test_spec_to_version(tmp_path: Path, spec: str, expected: tuple[int, ...] | None) -> None:
    write(tmp_path / "requirements.txt", f"sqlalchemy{spec}\n")
    assert detect("sqlalchemy", tmp_path).version == expected


def test_bad_files_are_skipped(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[project\ndependencies = [")
    write(tmp_path / "poetry.lock", "not toml at all = = =")
    write(tmp_path / "Pipfile.lock", "{broken json")
    write(tmp_path / "setup.cfg", "no section header\n")
    write(tmp_path / "requirements.txt", "???\n== 1.0\nhttpx==0.27.0\n")
    assert detect("httpx", tmp_path).version == (0, 27, 0)
    assert declared_dependencies(tmp_path) == {"httpx": "==0.27.0"}


def test_wrong_shapes_are_ignored(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        'tool = 3\n[project]\ndependencies = "httpx"\noptional-dependencies = 1\n'
        "dependency-groups = []\n",
    )
    assert declared_dependencies(tmp_path) == {}
    write(tmp_path / "x" / "poetry.lock", "package = 1\n")
    assert declared_dependencies(tmp_path / "x") == {}
    assert detect("httpx", tmp_path / "x").source == "assumed newest"


def test_results_are_cached(tmp_path: Path) -> None:
    calls: list[str] = []

    def fake(name: str) -> str | None:
        calls.append(name)
        return None

    write(tmp_path / "requirements.txt", "httpx==0.27.0\n")
    first = detect_version("httpx", tmp_path, installed=fake)
    write(tmp_path / "requirements.txt", "httpx==0.28.0\n")
    assert detect_version("HTTPX", tmp_path, installed=fake) is first
    assert calls == ["httpx"]
    clear_cache()
    assert detect_version("httpx", tmp_path, installed=fake).version == (0, 28, 0)
