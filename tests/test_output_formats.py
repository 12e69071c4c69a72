"""SARIF, GitHub and full output, and checking stdin as a named file (editors).

The SARIF log is validated against the official 2.1.0 schema, read from the shared data
directory rather than vendored: it is skipped when absent locally but fails under
``CI=true`` so CI never silently stops validating.
"""

from __future__ import annotations

import io
import json
import os
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from loopdoctor.cli import cli
from loopdoctor.diagnostic import Finding, FixSafety, Location, Related, Severity
from loopdoctor.output.full import render_full
from loopdoctor.output.github import escape_data, escape_property, finding_command, render_github
from loopdoctor.output.sarif import DOCS_BASE_URL, page_sections, sarif_log
from loopdoctor.rules import all_rules

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = Path(os.environ.get("SARIF_SCHEMA", "/work/shared/data/sarif-schema-2.1.0.json"))
IN_CI = os.environ.get("CI", "").lower() == "true"
POOLED = ROOT / "fixtures_corpus" / "projects" / "blog_pooled_engine"

BAD_TEST = """\
import asyncio

import pytest


async def helper() -> int:
    return 1


@pytest.mark.asyncio
async def test_a():
    helper()
    await asyncio.sleep(0)
"""


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def sarif_schema() -> dict:
    if not SCHEMA_PATH.is_file():
        if IN_CI:
            pytest.fail(f"SARIF 2.1.0 schema missing at {SCHEMA_PATH} (required under CI=true)")
        pytest.skip(f"SARIF 2.1.0 schema not found at {SCHEMA_PATH}")
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate(log: dict, schema: dict) -> None:
    import jsonschema

    validator_cls = jsonschema.validators.validator_for(schema)
    errors = sorted(validator_cls(schema).iter_errors(log), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_bad.py").write_text(BAD_TEST)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- SARIF --------------------------------------------------------------------------------------


def test_sarif_of_a_cross_file_project_validates(
    sarif_schema: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(POOLED)
    code, out, _ = run("check", "--output-format", "sarif")
    assert code == 1
    log = json.loads(out)
    validate(log, sarif_schema)
    run_ = log["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(all_rules())
    results = run_["results"]
    assert {r["ruleId"] for r in results} == {"LD501", "LD605"}
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not location["artifactLocation"]["uri"].startswith("/")
        region = location["region"]
        assert region["startLine"] >= 1 and region["endColumn"] >= 1
    ld501 = next(r for r in results if r["ruleId"] == "LD501")
    assert ld501["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/db.py"
    assert ld501["locations"][0]["physicalLocation"]["region"]["startLine"] == 7
    related = ld501["relatedLocations"]
    assert related and all("message" in r for r in related)
    assert {r["physicalLocation"]["artifactLocation"]["uri"] for r in related} == {
        "tests/api/test_posts.py"
    }
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"].startswith("file://")


def test_sarif_rule_objects_carry_help_from_the_pages(sarif_schema: dict) -> None:
    log = sarif_log([], [], cwd=ROOT)
    validate(log, sarif_schema)
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    ld301 = rules["LD301"]
    assert ld301["name"] == "missing-await"
    assert ld301["helpUri"] == f"{DOCS_BASE_URL}rules/LD301/"
    assert ld301["fullDescription"]["markdown"].startswith("Flags a call to a coroutine function")
    assert "## Use instead" in ld301["help"]["markdown"]
    assert "```" not in ld301["help"]["text"]
    assert ld301["defaultConfiguration"]["level"] == "error"
    levels = {r.code: r.severity for r in all_rules().values()}
    expected = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
    for code, rule in rules.items():
        assert rule["defaultConfiguration"]["level"] == expected[levels[code]]
        assert rule["shortDescription"]["text"]
        assert len(rule["fullDescription"]["markdown"]) <= 1024  # GitHub's documented maximum
        assert len(rule["fullDescription"]["text"]) <= 1024


def test_sarif_with_file_errors_and_outside_paths_validates(
    sarif_schema: dict, tmp_path: Path
) -> None:
    from loopdoctor.diagnostic import FileError

    outside = tmp_path.parent / "elsewhere.py"
    finding = Finding(
        "LD301", "missing-await", Severity.WARNING, "m", Location(outside, 3, 5, 3, 5)
    )
    log = sarif_log([finding], [FileError(tmp_path / "bin.py", "binary file")], cwd=tmp_path)
    validate(log, sarif_schema)
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].startswith("file:///")
    assert location["region"]["endColumn"] == 5
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert notes[0]["message"]["text"] == "binary file"


def test_sarif_fixes_replay_to_the_fixed_text(sarif_schema: dict, project: Path) -> None:
    code, out, _ = run("check", "--output-format", "sarif")
    assert code == 1
    log = json.loads(out)
    validate(log, sarif_schema)
    (result,) = log["runs"][0]["results"]
    assert result["ruleId"] == "LD301"
    (fix,) = result["fixes"]
    assert "unsafe fix" in fix["description"]["text"]
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "tests/test_bad.py", "uriBaseId": "%SRCROOT%"}
    text = (project / "tests" / "test_bad.py").read_text()
    for replacement in sorted(
        change["replacements"], key=lambda r: -r["deletedRegion"]["charOffset"]
    ):
        region = replacement["deletedRegion"]
        start, end = region["charOffset"], region["charOffset"] + region["charLength"]
        text = text[:start] + replacement["insertedContent"]["text"] + text[end:]
    assert "    await helper()\n" in text and "    helper()\n" not in text


def test_findings_without_a_fix_get_no_sarif_fixes(project: Path) -> None:
    code, out, _ = run("check", "--output-format", "sarif", "--select", "LD303")
    assert code == 0
    assert json.loads(out)["runs"][0]["results"] == []
    finding = Finding(
        "LD303",
        "dangling-task",
        Severity.WARNING,
        "m",
        Location(project / "tests" / "test_bad.py", 12, 5, 12, 13),
    )
    log = sarif_log([finding], [], cwd=project)
    assert "fixes" not in log["runs"][0]["results"][0]


def test_page_sections_follow_the_fixed_layout() -> None:
    page = (ROOT / "rules" / "LD301.md").read_text(encoding="utf-8")
    sections = page_sections(page)
    assert list(sections)[:4] == ["What it does", "Why is this bad?", "Example", "Use instead"]


# -- GitHub -------------------------------------------------------------------------------------


def test_github_annotations(project: Path) -> None:
    code, out, _ = run("check", "--output-format", "github")
    assert code == 1
    lines = out.strip().splitlines()
    assert len(lines) == 1
    prefix = (
        "::error file=tests/test_bad.py,line=12,col=5,endLine=12,endColumn=13,"
        "title=LD301 missing-await::`helper(...)` is never awaited"
    )
    assert lines[0].startswith(prefix)


def test_github_escapes_per_the_toolkit() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    finding = Finding(
        "LD203",
        "unclosed-fixture-resource",
        Severity.WARNING,
        "line one\nline: two, 100%",
        Location(Path("dir,x/a:b.py").absolute(), 2, 1, 2, 4),
        related=(Related(Location(Path("c.py").absolute(), 1, 1, 1, 2), "here"),),
    )
    command = finding_command(finding)
    assert command.startswith("::warning file=dir%2Cx/a%3Ab.py,line=2,col=1,endLine=2,")
    assert "title=LD203 unclosed-fixture-resource::line one%0Aline: two, 100%25" in command
    assert command.endswith("%0Ac.py:1:1: note: here")
    info = Finding("LD107", "x", Severity.INFO, "m", Location(Path("a.py").absolute(), 1, 1, 1, 1))
    assert render_github([info], []).startswith("::notice ")


def test_github_says_when_annotations_are_capped() -> None:
    path = Path("a.py").absolute()
    findings = [
        Finding("LD301", "missing-await", Severity.ERROR, "m", Location(path, i, 1, i, 2))
        for i in range(1, 13)
    ]
    lines = render_github(findings, []).splitlines()
    assert len(lines) == 13
    assert lines[-1].startswith("::notice title=loopdoctor::12 errors reported; GitHub shows")
    assert "::notice" not in render_github(findings[:10], [])


# -- full ---------------------------------------------------------------------------------------


def pinned_console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, width=100, no_color=True, color_system=None), buffer


def test_full_frame_underlines_the_span(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "t.py"
    path.write_text("a = 1\nb = 2\nvalue = make()\nc = 3\nd = 4\ne = 5\n")
    other = tmp_path / "conftest.py"
    other.write_text("import x\n\ndef make():\n    pass\n")
    finding = Finding(
        "LD301",
        "missing-await",
        Severity.ERROR,
        "never awaited",
        Location(path, 3, 9, 3, 15),
        related=(Related(Location(other, 3, 5, 3, 9), "defined here"),),
    )
    console, buffer = pinned_console()
    render_full(console, [finding], [])
    assert buffer.getvalue() == textwrap.dedent(
        """\
        error[LD301] missing-await: never awaited
          --> t.py:3:9
          |
        1 | a = 1
        2 | b = 2
        3 | value = make()
          |         ^^^^^^
        4 | c = 3
        5 | d = 4
          |
          = note: conftest.py:3:5: defined here
              |
            1 | import x
            2 |
            3 | def make():
              |     ^^^^
            4 |     pass
              |
          = help: loopdoctor explain LD301
        """
    )


def test_full_frame_elides_long_multiline_spans(tmp_path: Path) -> None:
    path = tmp_path / "t.py"
    path.write_text("".join(f"line{i}\n" for i in range(1, 31)))
    finding = Finding("LD203", "x", Severity.WARNING, "m", Location(path, 3, 1, 20, 7))
    console, buffer = pinned_console()
    render_full(console, [finding], [])
    out = buffer.getvalue()
    assert " 3 | line3" in out and "20 | line20" in out and "22 | line22" in out
    assert "15 | line15" not in out and ".. |  ..." in out
    assert "23 | line23" not in out


def test_full_output_shows_the_fix_as_a_diff(project: Path) -> None:
    code, out, _ = run("check", "--output-format", "full", "--no-color")
    assert code == 1
    assert "  = fix (unsafe): may change behaviour; apply with `loopdoctor check --fix " in out
    assert (
        "    --- a/tests/test_bad.py\n"
        "    +++ b/tests/test_bad.py\n"
        "    @@ -11,3 +11,3 @@\n"
        "     async def test_a():\n"
        "    -    helper()\n"
        "    +    await helper()\n"
        "         await asyncio.sleep(0)\n"
    ) in out


def test_full_frame_for_a_fixable_rule_without_a_certain_fix(tmp_path: Path) -> None:
    path = tmp_path / "t.py"
    path.write_text("x = 1\n")
    finding = Finding(
        "LD301", "missing-await", Severity.ERROR, "m", Location(path, 1, 1, 1, 2),
        fix=FixSafety.SAFE,
    )  # fmt: skip
    console, buffer = pinned_console()
    render_full(console, [finding], [])
    out = buffer.getvalue()
    assert "  = fix (safe): apply with `loopdoctor check --fix`\n" in out
    assert "---" not in out  # the rule declined: no diff to show


def test_full_output_from_the_cli(project: Path) -> None:
    code, out, err = run("check", "--output-format", "full", "--no-color")
    assert code == 1
    assert "error[LD301] missing-await:" in out
    assert "  --> tests/test_bad.py:12:5" in out
    assert "12 |     helper()\n   |     ^^^^^^^^\n" in out
    assert "Found 1 finding" in err


# -- stdin --------------------------------------------------------------------------------------


def test_stdin_is_checked_as_the_named_file(project: Path) -> None:
    (project / "tests" / "test_bad.py").unlink()
    (project / "pyproject.toml").write_text('[tool.loopdoctor]\nignore = ["LD107"]\n')
    code, out, _ = run("check", "--stdin-filename", "tests/test_edit.py", "-", stdin=BAD_TEST)
    assert code == 1
    assert out.startswith("tests/test_edit.py:12:5: LD301 [missing-await]")
    assert not (project / "tests" / "test_edit.py").exists()
    code, out, _ = run(
        "check", "--stdin-filename", "tests/test_edit.py", "-", "--output-format", "full",
        stdin=BAD_TEST,
    )  # fmt: skip
    assert "12 |     helper()" in out
    assert "+    await helper()" in out  # the fix preview works on stdin text too
    code, out, _ = run(
        "check", "--stdin-filename", "tests/test_edit.py", "-", "--output-format", "sarif",
        stdin=BAD_TEST,
    )  # fmt: skip
    (result,) = json.loads(out)["runs"][0]["results"]
    assert result["fixes"][0]["artifactChanges"][0]["artifactLocation"]["uri"] == (
        "tests/test_edit.py"
    )
    code, out, _ = run("check", "--stdin-filename", "tests/test_edit.py", stdin="x = 1\n")
    assert code == 0 and out == ""


def test_stdin_uses_config_from_the_named_files_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = tmp_path / "sub"
    (sub / "tests").mkdir(parents=True)
    (sub / "pyproject.toml").write_text('[tool.loopdoctor]\nignore = ["LD301"]\n')
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("check", "--stdin-filename", "sub/tests/test_x.py", "-", stdin=BAD_TEST)
    assert "LD301" not in out
    code, out, _ = run("check", "--stdin-filename", "other/test_x.py", "-", stdin=BAD_TEST)
    assert code == 1
    assert "other/test_x.py:12:5: LD301" in out


def test_stdin_sees_the_conftest_of_the_named_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unsaved test file still gets cross-file findings from its conftest (LD106)."""
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
    )
    (tmp_path / "tests" / "api").mkdir(parents=True)
    (tmp_path / "tests" / "conftest.py").write_text(
        textwrap.dedent(
            """\
            import asyncpg
            import pytest_asyncio


            @pytest_asyncio.fixture(scope="session", loop_scope="session")
            async def pg_pool():
                pool = await asyncpg.create_pool("postgresql://localhost/test")
                yield pool
                await pool.close()
            """
        )
    )
    test = textwrap.dedent(
        """\
        import pytest


        @pytest.mark.asyncio
        async def test_count_users(pg_pool):
            assert await pg_pool.fetchval("select 1") == 1
        """
    )
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("check", "--stdin-filename", "tests/api/test_users.py", "-", stdin=test)
    assert code == 1
    assert out.startswith("tests/api/test_users.py:5:11: LD106 [loop-scope-mismatch]")
    assert "    tests/conftest.py:6:1: note: async fixture `pg_pool`" in out


def test_stdin_refuses_other_paths(project: Path) -> None:
    code, _, err = run("check", "--stdin-filename", "a.py", "tests", stdin="")
    assert code == 2 and "no other paths" in err


def test_rules_json_lists_every_code() -> None:
    code, out, _ = run("rules", "--output-format", "json")
    assert code == 0
    rows = json.loads(out)
    assert [r["code"] for r in rows] == list(all_rules())
    assert set(rows[0]) == {"code", "name", "severity", "fix", "default", "summary"}
