"""Plain-text rendering of a runtime report (terminal summary and `loopdoctor report`).

Pure functions over the JSON document, so the plugin and the CLI print the
same thing from live data and from a saved file.
"""

from __future__ import annotations

import os
from typing import Any

from .record import CODES, count_by_code

_KIND_TITLES = {
    "LR01": "tests whose async fixtures ran on another (or a closed) loop",
    "LR02": "tests that leaked pending tasks",
    "LR03": "largest RSS growth per test",
    "LR04": "coroutines never awaited",
    "LR05": "leaked fds / sockets / threads and resource warnings",
    "LR06": "callbacks or task steps that blocked the loop",
    "LR07": "failures with a known loop symptom",
}


def _size(num: float) -> str:
    sign = "-" if num < 0 else "+"
    size = abs(float(num))
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{sign}{size:.0f}{unit}" if unit == "B" else f"{sign}{size:.1f}{unit}"
        size /= 1024
    return f"{sign}{size:.1f}GiB"


_CWD = os.getcwd() + os.sep


def _short(text: str, width: int) -> str:
    text = " ".join(str(text).split()).replace(_CWD, "")
    return text if len(text) <= width else text[: width - 1] + "…"


def render(report: dict[str, Any], top: int = 10, width: int = 100) -> list[str]:
    """Lines of the summary: totals, worst offenders per kind, then per-test details."""
    tests: list[dict[str, Any]] = report.get("tests", [])
    session: dict[str, Any] = report.get("session", {})
    counts = count_by_code(report)
    lines: list[str] = []
    total = sum(counts.values())
    with_findings = [t for t in tests if t.get("findings")]
    lines.append(
        f"{len(tests)} tests measured, {session.get('loops_seen', 0)} event loops seen, "
        f"{total} findings in {len(with_findings)} tests"
        + ("" if not counts else ": " + ", ".join(f"{c} {n}" for c, n in counts.items()))
    )
    lines.extend(f"note: {note}" for note in session.get("pytest_asyncio_notes", []))
    rss = session.get("rss", {})
    if rss.get("trend_bytes_per_test") is not None:
        lines.append(
            f"RSS trend: {_size(rss['trend_bytes_per_test'])}/test over "
            f"{rss.get('tests', 0)} tests (session {_size(rss.get('total_growth', 0))})"
        )
    for code in CODES:
        rows: list[tuple[float, str, str]] = []
        for rec in tests:
            for item in rec.get("findings", []):
                if item.get("code") == code:
                    weight = float(item.get("bytes", 0) or item.get("seconds", 0) or 1)
                    rows.append((weight, rec["nodeid"], item.get("message", "")))
        for item in session.get("findings", []):
            if item.get("code") == code:
                rows.append((0.0, "(session)", item.get("message", "")))
        if not rows:
            continue
        rows.sort(key=lambda r: -r[0])
        lines.append("")
        lines.append(f"{code} {CODES[code]}: {_KIND_TITLES[code]} ({len(rows)})")
        for _weight, nodeid, message in rows[:top]:
            lines.append(f"  {_short(nodeid, 48):<48}  {_short(message, max(20, width - 52))}")
        if len(rows) > top:
            lines.append(f"  … {len(rows) - top} more")
    growth = sorted(tests, key=lambda r: -int(r.get("rss_delta", 0)))[:top]
    if growth and not any(i.get("code") == "LR03" for t in tests for i in t.get("findings", [])):
        lines.append("")
        lines.append("largest RSS deltas (below threshold):")
        for rec in growth[: min(top, 5)]:
            lines.append(f"  {_short(rec['nodeid'], 48):<48}  {_size(rec.get('rss_delta', 0))}")
    worst = sorted(with_findings, key=lambda r: -len(r["findings"]))[:top]
    if worst:
        lines.append("")
        lines.append(f"details (top {len(worst)} tests by findings):")
        for rec in worst:
            rss = _size(rec.get("rss_delta", 0))
            lines.append(f"{rec['nodeid']} [{rec.get('outcome')}]  rss {rss}")
            loops = rec.get("loops", {})
            phase_loops = ", ".join(
                f"{p}={'/'.join(loops.get(p, [])) or '-'}" for p in ("setup", "call", "teardown")
            )
            lines.append(f"    loops: {phase_loops}")
            for name, fx in loops.get("fixtures", {}).items():
                lines.append(
                    f"    fixture {name} ({fx.get('scope')}): setup on "
                    f"{'/'.join(fx.get('setup', [])) or '-'}"
                )
            for item in rec["findings"]:
                message = _short(item.get("message", ""), width - 12)
                lines.append(f"    {item.get('code')}: {message}")
    errors = session.get("internal_errors", [])
    if errors:
        lines.append("")
        lines.append(f"loopdoctor internal errors ({len(errors)}; test outcomes were not changed):")
        lines.extend(f"  {_short(e, width - 2)}" for e in errors[:top])
    return lines
