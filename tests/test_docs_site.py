"""The documentation site builds with ``mkdocs build --strict`` and no warnings.

Rule pages are generated from ``rules/*.md`` by ``docs/_hooks/rule_pages.py`` at build
time; these tests check that every rule got a page, that the troubleshooting page covers
the classic messages, and that SARIF's help URIs point at pages that exist. Skipped when
mkdocs-material is not installed, except under ``CI=true``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from loopdoctor.output.sarif import DOCS_BASE_URL, rule_help_uri
from loopdoctor.rules import all_rules

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"

CLASSIC_MESSAGES = [
    "attached to a different loop",
    "Event loop is closed",
    "another operation is in progress",
    "greenlet_spawn has not been called",
    "fixture 'event_loop' not found",
    "ScopeMismatch",
    "_function_scoped_runner",
    "was never awaited",
    "Task was destroyed but it is pending",
    "object MagicMock can't be used in 'await' expression",
    "is bound to a different event loop",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    missing = [m for m in ("mkdocs", "material") if importlib.util.find_spec(m) is None]
    if missing:
        reason = f"{', '.join(missing)} not installed (pip install mkdocs mkdocs-material)"
        if IN_CI:
            pytest.fail(reason + " (required under CI=true)")
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--clean", "-d", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    warnings = [line for line in output.splitlines() if re.match(r"^\s*(WARNING|ERROR)\b", line)]
    assert not warnings, "\n".join(warnings)
    return out


def page(site: Path, path: str) -> str:
    return (site / path / "index.html").read_text(encoding="utf-8")


def page_text(site: Path, path: str) -> str:
    """A page's text without tags (code highlighting splits code into many spans)."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", page(site, path)))


def test_every_rule_has_a_generated_page(site: Path) -> None:
    codes = sorted(p.stem for p in (ROOT / "rules").glob("LD*.md"))
    assert codes == list(all_rules())
    index = page(site, "rules")
    for code, rule in all_rules().items():
        html = page(site, f"rules/{code}")
        assert rule.name in html and "What it does" in html and "Why is this bad?" in html
        assert f'href="{code}/"' in index
    assert not (ROOT / "docs" / "rules").exists()  # generated at build time, never copied


def test_sarif_help_uris_point_at_the_site(site: Path) -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert f"site_url: {DOCS_BASE_URL}\n" in config
    for code in all_rules():
        relative = rule_help_uri(code).removeprefix(DOCS_BASE_URL)
        assert (site / relative / "index.html").is_file(), relative


def test_troubleshooting_covers_the_classic_messages(site: Path) -> None:
    text = page_text(site, "troubleshooting")
    for message in CLASSIC_MESSAGES:
        assert message in text, message


@pytest.mark.parametrize(
    ("path", "needles"),
    [
        ("getting-started", ["loopdoctor check", "loopdoctor explain"]),
        ("configuration", ["per-file-ignores", "asyncio_default_fixture_loop_scope"]),
        ("cli", ["--stdin-filename", "--output-format", "rules --output-format json"]),
        ("runtime", ["--loop-report"]),
        ("html-report", ["--loop-report-html", "loop_report_html"]),
        ("migration", ["loop_scope", "event_loop", "strict"]),
        ("github-actions", ["upload-sarif", "--output-format github"]),
        ("editors-and-ruff", ["external = [", "# noqa: LD301"]),
        ("adding-a-rule", ["Adding a rule"]),
    ],
)
def test_pages_are_in_the_site(site: Path, path: str, needles: list[str]) -> None:
    text = page_text(site, path)
    for needle in needles:
        assert needle in text, (path, needle)


def test_ruff_keeps_ld_codes_only_when_declared_external(tmp_path: Path) -> None:
    """The claim in editors-and-ruff.md: RUF100's fix drops LD codes unless lint.external."""
    if importlib.util.find_spec("ruff") is None:
        if IN_CI:
            pytest.fail("ruff not installed (required under CI=true)")
        pytest.skip("ruff not installed")
    source = tmp_path / "t.py"
    command = [sys.executable, "-m", "ruff", "check", "--select", "RUF100", "--fix", "t.py"]
    results = {}
    for external in (False, True):
        config = "[tool.ruff.lint]\n" + ('external = ["LD"]\n' if external else "")
        (tmp_path / "pyproject.toml").write_text(config)
        source.write_text("x = 1  # noqa: E501, LD301\n")
        subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
        results[external] = source.read_text()
    assert results == {False: "x = 1\n", True: "x = 1  # noqa: LD301\n"}


def test_rule_examples_are_shown_as_the_files_they_build() -> None:
    """``# file:``/``# config:`` markers become titled blocks on the site (the harness reads
    the markers; readers should see a pytest.ini and the files)."""
    spec = importlib.util.spec_from_file_location(
        "rule_pages", ROOT / "docs" / "_hooks" / "rule_pages.py"
    )
    assert spec is not None and spec.loader is not None
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    body = (
        '# config: asyncio_mode = "auto"\n# file: app/__init__.py\n# file: app/x.py\n'
        "async def f(): ...\n\n\n# file: tests/test_x.py\ndef test(): ...\n"
    )
    assert hook.split_example(body) == (
        '```ini title="pytest.ini"\n[pytest]\nasyncio_mode = auto\n```\n\n'
        '```python title="app/x.py"\nasync def f(): ...\n```\n\n'
        '```python title="tests/test_x.py"\ndef test(): ...\n```\n'
    )
    assert hook.split_example("x = 1\n") == "```python\nx = 1\n```\n"
    page = hook.rule_page("LD301")
    assert "# file:" not in page and 'title="tests/test_users.py"' in page


def test_troubleshooting_agrees_with_the_runtime_diagnosis() -> None:
    """Each message the plugin diagnoses (LR07) is on the page, next to the same rules.

    The page and ``pytest_plugin/diagnosis.py`` answer the same question; when a symptom is
    added there, this test names the section to write.
    """
    from loopdoctor.pytest_plugin.diagnosis import SYMPTOMS

    text = (ROOT / "docs" / "troubleshooting.md").read_text(encoding="utf-8")
    sections = re.split(r"^## ", text, flags=re.MULTILINE)
    # table rows of "Other messages" count as their own sections
    parts = [row for section in sections for row in section.split("\n| ")]
    for symptom in SYMPTOMS:
        holding = [p for p in parts if symptom.core in p]
        assert holding, f"troubleshooting.md does not mention {symptom.core!r}"
        missing = [
            code for code in symptom.rules if not any(f"rules/{code}.md" in p for p in holding)
        ]
        assert not missing, f"{symptom.core!r}: link {missing} where the message is explained"
