"""The HTML loop report: unit checks of ``render_html`` and a real headless-browser run.

The browser test runs a small sample suite with ``--loop-report-json``, renders the page,
and loads it in Debian's chromium: no console message at all (errors, CSP violations from
an accidental fetch, uncaught exceptions all land there), the chart in the DOM, the inline
script finished (``data-ready``), a table sorted through the URL hash, and a screenshot
whose pixels show the chart's colours. Skipped without chromium, except under ``CI=true``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Any

import pytest

from loopdoctor.pytest_plugin.html_report import render_html

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"

SAMPLE_SUITE = """
import asyncio

import pytest
import pytest_asyncio

KEEP = []


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def shared_loop():
    return asyncio.get_running_loop()


@pytest.mark.asyncio
async def test_clean():
    await asyncio.sleep(0)


@pytest.mark.asyncio
async def test_grows_memory():
    KEEP.append(b"x" * (12 * 1024 * 1024))
    await asyncio.sleep(0)


@pytest.mark.asyncio
async def test_leaks_task():
    asyncio.create_task(asyncio.sleep(3600), name="leaked-sleeper")
    await asyncio.sleep(0)


@pytest.mark.asyncio(loop_scope="session")
async def test_on_the_session_loop(shared_loop):
    assert asyncio.get_running_loop() is shared_loop


@pytest.mark.asyncio
async def test_fixture_on_another_loop(shared_loop):
    assert asyncio.get_running_loop() is not shared_loop


def test_sync():
    assert True
"""


def minimal_report(**session: Any) -> dict[str, Any]:
    test = {
        "nodeid": "tests/test_x.py::test_<script>alert(1)</script>",
        "outcome": "failed",
        "loops": {
            "setup": ["L1"],
            "call": ["L2"],
            "teardown": ["L2"],
            "threads": [],
            "fixtures": {
                "engine": {
                    "scope": "session",
                    "setup": ["L1"],
                    "teardown": [],
                    "set_up_during": "tests/test_x.py::test_<script>alert(1)</script>",
                }
            },
            "details": {
                "L1": {"created_at": "a.py:1", "closed": False, "closed_after": None},
                "L2": {
                    "created_at": "b.py:2",
                    "closed": True,
                    "closed_after": "tests/test_x.py::test_<script>alert(1)</script>",
                },
            },
        },
        "rss_delta": 7 * 1024 * 1024,
        "findings": [{"code": "LR01", "name": "loop-identity", "message": "a <b> c", "rules": []}],
    }
    return {"schema_version": 1, "tests": [test], "session": {"tests": 1, **session}}


def test_render_escapes_user_text_and_fetches_nothing() -> None:
    page = render_html(minimal_report())
    assert "<script>alert(1)" not in page
    assert "test_&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "a &lt;b&gt; c" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "Content-Security-Policy" in page
    for element in (
        'id="rss-chart"',
        'id="loop-timeline"',
        'id="worst-growth"',
        'id="tests-table"',
    ):
        assert element in page


def test_render_tolerates_empty_and_partial_reports() -> None:
    for report in ({}, {"schema_version": 1, "tests": [], "session": {}}, {"tests": [{}]}):
        page = render_html(report)
        assert 'id="rss-chart"' in page and "</html>" in page


def test_timeline_marks_fixture_loops_and_closes() -> None:
    page = render_html(minimal_report())
    timeline = page[
        page.index('id="loop-timeline"') : page.index("</svg>", page.index("loop-timeline"))
    ]
    assert 'class="use-fixture"' in timeline  # the session fixture's loop L1
    assert 'class="use-test"' in timeline  # the test body's loop L2
    assert 'class="closed"' in timeline and "L2 closed after" in timeline


# -- the real browser ----------------------------------------------------------------------------


@pytest.fixture
def chromium() -> str:
    if not os.path.exists(CHROMIUM):
        reason = f"chromium not installed at {CHROMIUM} (apt-get install -y chromium)"
        if IN_CI:
            pytest.fail(reason + " (required under CI=true)")
        pytest.skip(reason)
    return CHROMIUM


def run_browser(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def console_messages(stderr: str) -> list[str]:
    """Chromium logs every console message, error and CSP violation as ``:CONSOLE``."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA non-interlaced PNG (what chromium writes) with the stdlib."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and color in (2, 6) and header[12] == 0
    bpp = 4 if color == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line if bpp == 3 else bytes(v for j, v in enumerate(line) if j % 4 != 3)))
        prev = line
    return width, height, rows


def count_colour(rows: list[bytes], rgb: tuple[int, int, int], tolerance: int = 24) -> int:
    count = 0
    for row in rows:
        for i in range(0, len(row), 3):
            if all(abs(row[i + k] - rgb[k]) <= tolerance for k in range(3)):
                count += 1
    return count


@pytest.fixture
def sample_report(pytester: pytest.Pytester) -> dict[str, Any]:
    """Run the sample suite in a subprocess with the doctor on; return the JSON report."""
    pytester.makeini(
        "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(test_sample=SAMPLE_SUITE)
    path = pytester.path / "loop-report.json"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--loop-report-json={path}")
    assert result.ret in (0, 1), result.stdout.str()
    return json.loads(path.read_text(encoding="utf-8"))


def test_report_renders_in_headless_chromium(
    chromium: str, sample_report: dict[str, Any], tmp_path: Path
) -> None:
    codes = {f["code"] for t in sample_report["tests"] for f in t["findings"]}
    assert {"LR02", "LR03"} <= codes, codes
    page = tmp_path / "report.html"
    page.write_text(render_html(sample_report), encoding="utf-8")

    url = page.as_uri() + "#sort=tests-table:3:desc"
    dom = run_browser(chromium, tmp_path / "profile-dom", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert console_messages(dom.stderr) == []
    html = dom.stdout
    assert 'id="rss-chart"' in html and "<polyline" in html
    assert 'id="worst-growth"' in html and "test_grows_memory" in html
    assert 'id="loop-timeline"' in html
    assert 'data-ready="1"' in html  # the inline script ran to its end
    body = html[html.index('id="tests-table"') :]
    first_row = body[body.index("<tbody>") : body.index("</tr>", body.index("<tbody>"))]
    assert "test_grows_memory" in first_row  # sorted by RSS delta, descending, in the browser

    shot = tmp_path / "report.png"
    run = run_browser(
        chromium,
        tmp_path / "profile-shot",
        "--hide-scrollbars",
        "--window-size=1280,1400",
        f"--screenshot={shot}",
        page.as_uri(),
    )
    assert run.returncode == 0 and shot.is_file(), run.stderr[-2000:]
    assert console_messages(run.stderr) == []
    print(f"\nloop report screenshot: {shot}\nloop report page: {page}")
    _, _, rows = png_pixels(shot)
    assert count_colour(rows, (0x25, 0x63, 0xEB)) > 500  # the RSS line and timeline blocks
    assert count_colour(rows, (0xDC, 0x26, 0x26)) > 50  # the worst-growth marker


def test_chromium_flags_a_broken_page(chromium: str, tmp_path: Path) -> None:
    """The console check is not vacuous: an error and a blocked fetch are both seen."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="default-src '
        "'none'; script-src 'unsafe-inline'\"><img src=\"https://example.invalid/x.png\">"
        "<script>missingFunction();</script>"
    )
    run = run_browser(chromium, tmp_path / "profile", "--dump-dom", page.as_uri())
    messages = console_messages(run.stderr)
    assert any("missingFunction" in m for m in messages), run.stderr[-2000:]
    assert any("Content Security Policy" in m for m in messages)


def test_chromium_present_when_ci() -> None:
    if IN_CI:
        assert shutil.which("chromium") or os.path.exists(CHROMIUM)


def test_write_html_is_atomic_and_readable(tmp_path: Path) -> None:
    from loopdoctor.pytest_plugin.html_report import write_html

    target = write_html(tmp_path / "out" / "report.html", minimal_report())
    assert Path(target).read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert oct(Path(target).stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["report.html"]


@pytest.mark.parametrize("how", ["flag", "ini"])
def test_loop_report_html_option_writes_the_page(pytester: pytest.Pytester, how: str) -> None:
    ini = "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"
    if how == "ini":
        ini += "loop_report_html = out/report.html\n"
    pytester.makeini(ini)
    pytester.makepyfile(test_sample=SAMPLE_SUITE)
    args = ["-p", "no:cacheprovider"]
    if how == "flag":
        args.append("--loop-report-html=out/report.html")
    result = pytester.runpytest_subprocess(*args)
    assert result.ret == 0, result.stdout.str()
    page = (pytester.path / "out" / "report.html").read_text(encoding="utf-8")
    assert 'id="rss-chart"' in page and "test_grows_memory" in page
    result.stdout.fnmatch_lines(["*loopdoctor: loop report on (json=off, html=*report.html*"])


def test_render_of_an_xdist_run(pytester: pytest.Pytester) -> None:
    """Worker-prefixed loop ids (``gw0:L1``) and per-worker timelines render without errors."""
    pytest.importorskip("xdist")
    pytester.makeini(
        "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"
    )
    pytester.makepyfile(test_sample=SAMPLE_SUITE)
    path = pytester.path / "loop-report.json"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", f"--loop-report-json={path}"
    )
    assert result.ret == 0, result.stdout.str()
    report = json.loads(path.read_text(encoding="utf-8"))
    page = render_html(report)
    assert re.search(r">gw[01]:L\d+<", page)
    assert page.count("<tr><td data-sort=") >= len(report["tests"])
