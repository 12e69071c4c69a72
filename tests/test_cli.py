"""The command line as users drive it: output formats, selection, config, exit codes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from loopdoctor import __version__
from loopdoctor.cli import cli

BAD_TEST = """\
import asyncio

import pytest


@pytest.fixture(scope="session")
def event_loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


async def helper() -> int:
    return 1


@pytest.mark.asyncio
async def test_a():
    helper()
    asyncio.sleep(0)
"""


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write(tmp_path, "pytest.ini", "[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    write(tmp_path, "tests/test_bad.py", BAD_TEST)
    write(tmp_path, "tests/test_good.py", "def test_ok():\n    assert True\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


LINE_RE = re.compile(
    r"^(?P<path>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<code>LD\d{3}) \[[a-z0-9-]+\] "
)


def test_version() -> None:
    code, out, _ = run("--version")
    assert code == 0 and __version__ in out
    proc = subprocess.run(
        [sys.executable, "-m", "loopdoctor", "--version"], capture_output=True, text=True
    )
    assert proc.returncode == 0 and __version__ in proc.stdout


def test_text_output_sorted_with_summary_on_stderr(project: Path) -> None:
    code, out, err = run("check")
    assert code == 1
    lines = out.strip().splitlines()
    parsed = [LINE_RE.match(line) for line in lines]
    assert all(parsed), lines
    keys = [(m["path"], int(m["line"]), int(m["col"])) for m in parsed]  # type: ignore[index]
    assert keys == sorted(keys)
    assert [m["code"] for m in parsed] == ["LD101", "LD301", "LD301"]  # type: ignore[index]
    assert lines[0].startswith("tests/test_bad.py:7:5: LD101 [event-loop-fixture] ")
    assert "Found 3 findings" in err and "3 files" not in out


def test_clean_tree_exits_zero(project: Path) -> None:
    code, out, err = run("check", "tests/test_good.py")
    assert code == 0 and out == "" and "All checks passed" in err


def test_json_schema(project: Path) -> None:
    code, out, _ = run("check", "--output-format", "json")
    assert code == 1
    data = json.loads(out)
    assert data["schema_version"] == 1 and data["version"] == __version__
    assert data["stats"]["files"] == 2 and data["errors"] == []
    first = data["findings"][0]
    assert set(first) >= {
        "code", "name", "severity", "path", "line", "column", "end_line", "end_column",
        "message", "fix_available", "related",
    }  # fmt: skip
    assert first["path"] == "tests/test_bad.py"
    assert (first["line"], first["column"]) == (7, 5)
    assert (first["end_line"], first["end_column"]) == (7, 15)


def test_select_ignore_prefixes(project: Path) -> None:
    assert "LD101" not in run("check", "--select", "LD3")[1]
    out = run("check", "--select", "LD1,LD301", "--ignore", "LD30")[1]
    assert "LD101" in out and "LD301" not in out
    code, out, _ = run("check", "--ignore", "LD")
    assert code == 0 and out == ""
    out = run("check", "--select", "LD101", "--extend-select", "LD301")[1]
    assert "LD101" in out and "LD301" in out


def test_exit_zero_statistics_quiet(project: Path) -> None:
    code, out, _ = run("check", "--exit-zero", "--statistics")
    assert code == 0
    assert out.split() == ["2", "LD301", "missing-await", "1", "LD101", "event-loop-fixture"]
    code, out, err = run("check", "--quiet")
    assert code == 1 and err == ""


def test_pyproject_config_and_per_file_ignores(project: Path) -> None:
    write(
        project,
        "pyproject.toml",
        """
        [tool.loopdoctor]
        ignore = ["LD101"]
        per-file-ignores = { "tests/test_bad.py" = ["LD301"] }
        """,
    )
    code, out, _ = run("check")
    assert code == 0 and out == ""


def test_bad_config_names_the_key(project: Path) -> None:
    write(project, "pyproject.toml", "[tool.loopdoctor]\nselct = ['LD']\n")
    code, _, err = run("check")
    assert code == 2 and "selct" in err
    write(project, "pyproject.toml", "[tool.loopdoctor]\nselect = ['E501']\n")
    code, _, err = run("check")
    assert code == 2 and "select" in err


def test_missing_path_is_a_usage_error(project: Path) -> None:
    code, _, err = run("check", "does/not/exist.py")
    assert code == 2 and "does/not/exist.py" in err


def test_noqa(project: Path) -> None:
    write(
        project,
        "tests/test_noqa.py",
        """
        import asyncio


        async def test_x():
            asyncio.sleep(1)  # noqa: LD301
            asyncio.sleep(2)  # noqa
            asyncio.sleep(3)  # noqa: E501
            asyncio.wait_for(  # noqa: LD301
                asyncio.sleep(4),
                timeout=1,
            )
        """,
    )
    out = run("check", "tests/test_noqa.py", "--select", "LD301")[1]
    assert [LINE_RE.match(line)["line"] for line in out.splitlines()] == ["8"]  # type: ignore[index]


def test_explain_rules_config(project: Path) -> None:
    code, out, _ = run("explain", "LD301")
    assert code == 0 and out.startswith("# LD301: missing-await")
    assert run("explain", "missing-await")[1] == out
    assert run("explain", "LD999")[0] == 2
    rows = json.loads(run("rules", "--output-format", "json")[1])
    assert {"code": "LD301", "name": "missing-await"}.items() <= rows[
        [r["code"] for r in rows].index("LD301")
    ].items()
    code, out, _ = run("config")
    assert code == 0 and 'asyncio_mode = "strict"' in out


def test_bad_files_do_not_stop_the_run(project: Path) -> None:
    (project / "tests" / "test_binary.py").write_bytes(b"\x00\x01\x02garbage")
    (project / "tests" / "test_latin1.py").write_bytes(b"x = '\xe9t\xe9'\n")
    (project / "tests" / "test_cookie.py").write_bytes(
        b"# -*- coding: latin-1 -*-\nx = '\xe9t\xe9'\n"
    )
    write(project, "tests/test_syntax.py", "def test_x(:\n    pass\n")
    write(project, "tests/test_deep.py", "x = " + "+".join(["1"] * 100_000) + "\n")
    write(project, "tests/test_parens.py", "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n")
    code, out, _ = run("check", "--output-format", "json")
    data = json.loads(out)
    errors = {e["path"]: e["message"] for e in data["errors"]}
    assert "binary" in errors["tests/test_binary.py"]
    assert "decode" in errors["tests/test_latin1.py"]
    assert "tests/test_cookie.py" not in errors
    assert "too deeply nested" in errors["tests/test_deep.py"]
    codes = {(f["path"], f["code"]) for f in data["findings"]}
    assert ("tests/test_parens.py", "LD001") in codes  # "too many nested parentheses"
    assert ("tests/test_syntax.py", "LD001") in codes
    assert ("tests/test_bad.py", "LD101") in codes  # every other file is still checked
    assert code == 1
