"""Issue 6: result cache, parallel checks, byte pre-filter and lazy imports never change output.

No timing assertions here: speed is measured by benchmarks/lint_speed.py only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from loopdoctor.cache import ResultCache
from loopdoctor.config import clear_caches, load_pytest_settings
from loopdoctor.discovery import discover
from loopdoctor.engine import Checker
from loopdoctor.selection import Selection
from loopdoctor.testing import pinned_versions_only

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "fixtures_corpus"

FILES = {
    "pyproject.toml": """
        [tool.pytest.ini_options]
        asyncio_mode = "strict"
        asyncio_default_fixture_loop_scope = "function"
    """,
    "app/__init__.py": "",
    "app/services.py": """
        async def fetch_user(user_id):
            return {"id": user_id}


        def plain(x):
            return x
    """,
    "tests/__init__.py": "",
    "tests/conftest.py": """
        import pytest


        @pytest.fixture
        def client():
            return object()
    """,
    "tests/test_users.py": """
        from app import services


        def test_fetch():
            services.fetch_user(1)
    """,
    "tests/test_client.py": """
        def test_uses_client(client):
            assert client is not None
    """,
    "tests/test_other.py": """
        def test_nothing():
            assert 1 + 1 == 2
    """,
}


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def _run(
    root: Path, *, cache: bool = True, select: tuple[str, ...] = ("ALL",), jobs: int = 1, **kw
) -> tuple[list[tuple], Checker]:
    """One in-process run like the CLI's; returns comparable findings and the checker."""
    clear_caches()
    files = discover([root], respect_gitignore=False).files
    checker = Checker(
        Selection(select=select, root=root),
        settings_for=load_pytest_settings,
        version_for=pinned_versions_only,
        cache=ResultCache(root / ".loopdoctor_cache") if cache else None,
        jobs=jobs,
        **kw,
    )
    result = checker.check(files)
    findings = [
        (str(f.location.path), f.location.line, f.location.column, f.code, f.message)
        for f in result.findings
    ]
    errors = [(str(e.path), e.reason) for e in result.errors]
    return findings + errors, checker


@pytest.fixture
def project(tmp_path: Path) -> Path:
    _write(tmp_path, FILES)
    return tmp_path


def _checked(checker: Checker) -> set[str]:
    return {p.name for p in checker.checked_paths}


def test_warm_run_reuses_everything_and_parses_nothing(project: Path) -> None:
    cold, _ = _run(project)
    assert any(code == "LD301" for *_, code, _ in [f for f in cold if len(f) == 5])
    warm, second = _run(project)
    assert warm == cold
    assert _checked(second) == set()
    assert not second.project.modules  # nothing was even parsed
    assert (project / ".loopdoctor_cache" / ".gitignore").read_text().strip().endswith("*")


@pytest.mark.parametrize("select", [("ALL",), ("LD2", "LD301")], ids=["all", "some"])
def test_content_change_rechecks_that_file(project: Path, select: tuple[str, ...]) -> None:
    _run(project, select=select)
    test_file = project / "tests" / "test_other.py"
    test_file.write_text(test_file.read_text() + "\n\ndef test_more():\n    pass\n")
    warm, checker = _run(project, select=select)
    assert "test_other.py" in _checked(checker)
    assert "test_users.py" not in _checked(checker)  # whole-project scans read no test_other
    assert warm == _run(project, cache=False, select=select)[0]


def test_conftest_change_invalidates_tests_that_use_it(project: Path) -> None:
    _run(project)
    conftest = project / "tests" / "conftest.py"
    conftest.write_text(
        textwrap.dedent(
            """
            import pytest


            @pytest.fixture
            async def client():
                return object()
            """
        ).lstrip()
    )
    warm, checker = _run(project)
    assert "test_client.py" in _checked(checker)
    assert warm == _run(project, cache=False)[0]
    assert any("LD204" in str(item) for item in warm)  # sync test, async fixture


def test_async_def_change_elsewhere_invalidates_callers(project: Path) -> None:
    cold, _ = _run(project)
    assert any("LD301" in str(item) and "test_users.py" in str(item) for item in cold)
    services = project / "app" / "services.py"
    services.write_text(services.read_text().replace("async def fetch_user", "def fetch_user"))
    warm, checker = _run(project)
    assert "test_users.py" in _checked(checker)
    assert not any("LD301" in str(item) for item in warm)
    assert warm == _run(project, cache=False)[0]


def test_rule_selection_is_part_of_the_key(project: Path) -> None:
    _run(project)
    only, checker = _run(project, select=("LD2",))
    assert _checked(checker)  # nothing cached for this selection yet
    assert only == _run(project, cache=False, select=("LD2",))[0]


def test_corrupted_entries_are_ignored_and_rewritten(project: Path) -> None:
    cold, _ = _run(project)
    cache_dir = project / ".loopdoctor_cache"
    entries = [p for p in cache_dir.rglob("*") if p.is_file() and p.name != ".gitignore"]
    assert entries
    for number, entry in enumerate(entries):
        entry.write_bytes(b"\x80garbage" if number % 2 else b"")
    again, checker = _run(project)
    assert again == cold
    assert _checked(checker)
    warm, checker = _run(project)
    assert warm == cold
    assert _checked(checker) == set()  # rewritten entries are good again


def _cli(cwd: Path, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.Popen(
        [sys.executable, "-m", "loopdoctor", "check", ".", "--output-format", "json", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _payload(stdout: str) -> dict:
    data = json.loads(stdout)
    data.pop("stats", None)
    return data


def test_concurrent_runs_agree(project: Path) -> None:
    reference = _cli(project, "--no-cache").communicate()[0]
    runs = [_cli(project, "--jobs", str(1 + n % 2)) for n in range(4)]
    outputs = [run.communicate()[0] for run in runs]
    assert all(_payload(out) == _payload(reference) for out in outputs)
    warm = _cli(project).communicate()[0]
    assert _payload(warm) == _payload(reference)


def test_parallel_output_matches_serial_on_the_corpus(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    serial = _cli(corpus, "--jobs", "1", "--no-cache").communicate()[0]
    parallel = _cli(corpus, "--jobs", "2", "--no-cache").communicate()[0]
    assert _payload(parallel) == _payload(serial)
    assert _payload(serial)["findings"]
    cold_cached = _cli(corpus, "--jobs", "2").communicate()[0]
    warm_cached = _cli(corpus, "--jobs", "2").communicate()[0]
    assert _payload(cold_cached) == _payload(serial)
    assert _payload(warm_cached) == _payload(serial)


@pytest.mark.parametrize("select", [("ALL",), ("LD1", "LD5", "LD6")], ids=["all", "some"])
def test_prefilter_never_changes_findings_on_the_corpus(select: tuple[str, ...]) -> None:
    with_filter, filtered = _run(CORPUS, cache=False, select=select)
    without_filter, unfiltered = _run(CORPUS, cache=False, select=select, prefilter=False)
    assert with_filter == without_filter
    assert with_filter
    assert unfiltered.skipped == 0 or select == ("ALL",)
    if select != ("ALL",):
        assert filtered.skipped > 0  # some files are really not walked


def _imported(*argv: str) -> set[str]:
    code = (
        "import sys\n"
        "from loopdoctor.cli import main\n"
        f"sys.argv = ['loopdoctor', *{list(argv)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write(repr(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return set(eval(done.stderr.strip().splitlines()[-1]))


def test_version_imports_neither_libcst_nor_rich() -> None:
    modules = _imported("--version")
    assert not {m for m in modules if m.split(".")[0] in ("libcst", "rich", "pytest")}


def test_check_of_a_clean_file_does_not_import_libcst(tmp_path: Path) -> None:
    clean = tmp_path / "test_clean.py"
    clean.write_text("def test_ok():\n    assert True\n")
    modules = _imported("check", str(clean), "--output-format", "json", "--no-cache")
    assert not {m for m in modules if m.split(".")[0] in ("libcst", "rich")}


# -- cold runs parse only what a rule can fire on; scans depend on the files they scan ----------

ROUTES = {
    "pyproject.toml": FILES["pyproject.toml"],
    "app/__init__.py": "",
    "app/main.py": """
        from fastapi import FastAPI

        app = FastAPI()


        async def health():
            return {"status": "ok"}


        app.add_api_route("/health", health, methods=["GET"])
    """,
    "app/plain.py": """
        def double(x):
            return 2 * x
    """,
    "tests/__init__.py": "",
    "tests/test_health.py": """
        from app.main import health


        async def test_health():
            assert (await health())["status"] == "ok"
    """,
}


def test_cold_run_parses_only_files_a_rule_can_fire_on(project: Path) -> None:
    """``app/services.py`` holds the coroutine ``test_users.py`` calls: read through the index.
    ``app/plain.py`` passes no rule's pre-filter: only its syntax is checked, never indexed."""
    _write(project, {"app/plain.py": ROUTES["app/plain.py"], "lib/broken.py": "def f(:\n"})
    found, checker = _run(project, cache=False)
    assert any("LD001" in str(item) and "broken.py" in str(item) for item in found)
    parsed = {p.name for p in checker._parsed}
    assert "test_users.py" in parsed and "services.py" in parsed
    assert "plain.py" not in parsed  # its syntax was checked, its tree thrown away
    assert "plain.py" not in {p.name for p in checker.project.pool}
    assert found == _run(project, cache=False, prefilter=False)[0]


def test_scan_facet_follows_only_the_files_that_contain_its_tokens(tmp_path: Path) -> None:
    """LD603 reads every ``add_api_route`` registration: editing a file without one does not
    re-check the test; removing the registration, or adding one in a new file, does."""
    _write(tmp_path, ROUTES)
    cold, _ = _run(tmp_path, select=("LD603",))
    assert [item for item in cold if "LD603" in str(item)]
    plain = tmp_path / "app" / "plain.py"
    plain.write_text(plain.read_text() + "\n\ndef triple(x):\n    return 3 * x\n")
    same, checker = _run(tmp_path, select=("LD603",))
    assert same == cold and "test_health.py" not in _checked(checker)

    main = tmp_path / "app" / "main.py"
    main.write_text(
        main.read_text().replace('app.add_api_route("/health", health, methods=["GET"])', "")
    )
    gone, checker = _run(tmp_path, select=("LD603",))
    assert "test_health.py" in _checked(checker)
    assert not [item for item in gone if "LD603" in str(item)]

    (tmp_path / "app" / "extra.py").write_text(
        "from app.main import app, health\n\napp.add_api_route('/h', health)\n"
    )
    back, checker = _run(tmp_path, select=("LD603",))
    assert "test_health.py" in _checked(checker)
    assert [item for item in back if "LD603" in str(item)]
    assert back == _run(tmp_path, cache=False, select=("LD603",))[0]


def test_shared_analysis_replays_its_inputs_to_every_reader(tmp_path: Path) -> None:
    """Two tests read one shared analysis (the routes map), computed while checking the
    first: the second's cached result must still depend on the files the analysis read."""
    files = dict(ROUTES)
    files["tests/test_health_again.py"] = ROUTES["tests/test_health.py"].replace(
        "test_health", "test_health_again"
    )
    _write(tmp_path, files)
    cold, _ = _run(tmp_path, select=("LD603",), jobs=1)
    assert sum("LD603" in str(item) for item in cold) == 2
    main = tmp_path / "app" / "main.py"
    main.write_text(main.read_text().replace("async def health", "def health"))
    warm, checker = _run(tmp_path, select=("LD603",), jobs=1)
    assert {"test_health.py", "test_health_again.py"} <= _checked(checker)
    assert warm == _run(tmp_path, cache=False, select=("LD603",))[0]


def test_new_async_def_elsewhere_invalidates_files_the_prefilter_skipped(project: Path) -> None:
    """``plain`` is no coroutine, so no rule's pre-filter lets ``app/use.py`` through and its
    cached result is empty; when ``plain`` becomes ``async def`` that result is stale."""
    _write(project, {"app/use.py": "from app.services import plain\n\n\ndef go():\n    plain(1)\n"})
    cold, _ = _run(project)
    assert not any("use.py" in str(item) for item in cold)
    services = project / "app" / "services.py"
    services.write_text(services.read_text().replace("def plain", "async def plain"))
    warm, checker = _run(project)
    assert "use.py" in _checked(checker)
    assert any("LD301" in str(item) and "use.py" in str(item) for item in warm)
    assert warm == _run(project, cache=False)[0]


# -- checking part of a project (a pre-commit hook passes only the changed files) ---------------


def _check_files(cwd: Path, *args: str) -> list[tuple]:
    done = subprocess.run(
        [sys.executable, "-m", "loopdoctor", "check", "--output-format", "json", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=dict(os.environ, NO_COLOR="1"),
    )
    data = json.loads(done.stdout)
    return sorted((f["path"], f["line"], f["code"]) for f in data["findings"])


def test_checking_some_files_finds_what_a_full_run_finds_there(project: Path) -> None:
    """``fetch_user`` is a coroutine of ``app/services.py``, which is not passed: the rest of
    the project is context, so the finding in ``tests/test_users.py`` is not lost."""
    full = [f for f in _check_files(project, ".", "--no-cache") if f[0] == "tests/test_users.py"]
    assert any(code == "LD301" for *_, code in full)
    for cache in ("--no-cache", "--jobs=1", "--jobs=1"):  # cold, then cached
        assert _check_files(project, "tests/test_users.py", cache) == full
    services = project / "app" / "services.py"
    services.write_text(services.read_text().replace("async def fetch_user", "def fetch_user"))
    assert _check_files(project, "tests/test_users.py") == []  # the context file changed


def test_project_context_only_under_a_project_root(tmp_path: Path) -> None:
    from loopdoctor.discovery import project_context

    _write(tmp_path, {"a/test_a.py": "", "b/other.py": ""})
    checked = [tmp_path / "a" / "test_a.py"]
    assert project_context([checked[0]], checked, tmp_path) == []  # no project marker
    (tmp_path / "pyproject.toml").write_text("")
    assert project_context([checked[0]], checked, tmp_path) == [tmp_path / "b" / "other.py"]
    assert project_context([tmp_path], checked, tmp_path) == []  # the whole project is checked
    outside = tmp_path.parent / "elsewhere.py"
    assert project_context([outside], [outside], tmp_path) == []
