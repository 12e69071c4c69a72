"""The runtime report as one self-contained HTML page (``--loop-report-html=PATH``).

``render_html(report)`` is a pure function of the JSON report dict (schema_version 1,
see docs/runtime.md), so the same page can be produced from a saved ``--loop-report-json``
file, and tests can render any report without running pytest.

Self-contained on purpose: CI artifacts are opened offline and from ``file://``, so there is
no CDN, no web font, no external script. CSS, the two SVG charts and the few lines of
table-sorting JavaScript are inline, and a Content-Security-Policy forbids every fetch.
Only the stdlib is imported: the plugin package loads in every pytest run.
"""

from __future__ import annotations

import html
import math
import os
import tempfile
from collections.abc import Iterable
from typing import Any

from .record import format_size

#: Drawing limits: beyond these the timeline shows the first N loops/tests and says so.
MAX_TIMELINE_LOOPS = 120
MAX_TIMELINE_TESTS = 4000
CHART_WIDTH = 920
PHASES = ("setup", "call", "teardown")
OUTCOME_CLASS = {"passed": "ok", "failed": "bad", "error": "bad", "skipped": "skip"}


def _e(value: Any) -> str:
    """HTML-escape anything (report strings come from user code: test names, messages)."""
    return html.escape("" if value is None else str(value), quote=True)


def _short(nodeid: str, limit: int = 70) -> str:
    return nodeid if len(nodeid) <= limit else "…" + nodeid[-(limit - 1) :]


# -- data shaping --------------------------------------------------------------------------------


def _tests(report: dict[str, Any]) -> list[dict[str, Any]]:
    tests = report.get("tests")
    return [t for t in tests if isinstance(t, dict)] if isinstance(tests, list) else []


def _ids(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def loop_usage(tests: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per loop id, in order of first use: details, and which tests and fixtures ran on it."""
    loops: dict[str, dict[str, Any]] = {}

    def entry(loop_id: str) -> dict[str, Any]:
        return loops.setdefault(
            loop_id, {"details": {}, "uses": {}, "fixtures": set(), "closed_index": None}
        )

    for index, test in enumerate(tests):
        record = test.get("loops") if isinstance(test.get("loops"), dict) else {}
        for phase in PHASES:
            for loop_id in _ids(record.get(phase)):
                entry(loop_id)["uses"].setdefault(index, set()).add(f"test {phase}")
        for loop_id in _ids(record.get("threads")):
            entry(loop_id)["uses"].setdefault(index, set()).add("thread")
        fixtures = record.get("fixtures") if isinstance(record.get("fixtures"), dict) else {}
        for name, fixture in fixtures.items():
            if not isinstance(fixture, dict):
                continue
            own = fixture.get("set_up_during") in (None, test.get("nodeid"))
            for phase in ("setup", "teardown"):
                for loop_id in _ids(fixture.get(phase)):
                    item = entry(loop_id)
                    item["fixtures"].add(f"{name} ({fixture.get('scope', '?')})")
                    if own or phase == "teardown":
                        item["uses"].setdefault(index, set()).add(f"fixture '{name}' {phase}")
                    elif phase == "setup":  # the test uses a value made earlier on this loop
                        item["uses"].setdefault(index, set()).add(f"uses fixture '{name}' value")
        details = record.get("details") if isinstance(record.get("details"), dict) else {}
        for loop_id, info in details.items():
            if isinstance(info, dict):
                entry(loop_id)["details"].update(info)
    index_of = {t.get("nodeid"): i for i, t in enumerate(tests)}
    for item in loops.values():
        closed_after = item["details"].get("closed_after")
        if closed_after in index_of:
            item["closed_index"] = index_of[closed_after]
    return loops


def _findings(report: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = [
        (str(t.get("nodeid", "")), f)
        for t in _tests(report)
        for f in t.get("findings") or []
        if isinstance(f, dict)
    ]
    session = report.get("session") if isinstance(report.get("session"), dict) else {}
    found.extend(("(session)", f) for f in session.get("findings") or [] if isinstance(f, dict))
    return found


# -- pieces --------------------------------------------------------------------------------------


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = span / max(ticks, 1)
    if raw <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude  # pragma: no cover


def rss_chart(tests: list[dict[str, Any]]) -> str:
    """Inline SVG: cumulative RSS growth over tests, per-test bars, the worst growth marked."""
    width, height = CHART_WIDTH, 280
    left, right, top, bottom = 78, 16, 18, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    deltas = [int(t.get("rss_delta") or 0) for t in tests]
    cumulative = [0]
    for delta in deltas:
        cumulative.append(cumulative[-1] + delta)
    parts = [
        f'<svg id="rss-chart" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-label="RSS growth over tests">'
    ]
    parts.append("<title>Cumulative RSS growth over the tests, in run order</title>")
    if not tests:
        parts.append(f'<text x="{width / 2}" y="{height / 2}" class="muted" ')
        parts.append('text-anchor="middle">no tests recorded</text></svg>')
        return "".join(parts)
    low = min(0, min(cumulative), min(deltas))
    high = max(0, max(cumulative), max(deltas))
    flat = high == low
    if flat:
        high = low + 4 * 1024
    unit = 1024 ** max(0, min(3, int(math.log(max(high - low, 1), 1024))))
    step = _nice_step((high - low) / unit) * unit  # ticks at round KiB/MiB/GiB values
    low = math.floor(low / step) * step
    high = math.ceil(high / step) * step
    n = len(tests)

    def x(i: float) -> float:
        return left + plot_w * i / n

    def y(value: float) -> float:
        return top + plot_h * (high - value) / (high - low)

    tick = low
    while tick <= high + step / 2:
        parts.append(
            f'<line class="grid" x1="{left}" x2="{left + plot_w}" y1="{y(tick):.1f}" '
            f'y2="{y(tick):.1f}"/><text class="axis" x="{left - 6}" y="{y(tick) + 4:.1f}" '
            f'text-anchor="end">{_e(format_size(tick) if tick else "0")}</text>'
        )
        tick += step
    x_step = max(1, math.ceil(n / 10))
    for i in range(0, n + 1, x_step):
        parts.append(
            f'<text class="axis" x="{x(i):.1f}" y="{top + plot_h + 16}" '
            f'text-anchor="middle">{i}</text>'
        )
    parts.append(
        f'<text class="axis" x="{left + plot_w / 2}" y="{height - 6}" text-anchor="middle">'
        "tests in run order</text>"
    )
    bar_w = max(plot_w / n - 1, 0.6)
    for i, (test, delta) in enumerate(zip(tests, deltas, strict=True)):
        if not delta:
            continue
        y0, y1 = sorted((y(0), y(delta)))
        parts.append(
            f'<rect class="bar {"up" if delta > 0 else "down"}" x="{x(i) + 0.5:.1f}" '
            f'y="{y0:.1f}" width="{bar_w:.1f}" height="{max(y1 - y0, 0.5):.1f}">'
            f"<title>{_e(test.get('nodeid'))}: {_e(format_size(delta))}</title></rect>"
        )
    points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(cumulative))
    parts.append(f'<polyline class="line" points="{points}"/>')
    worst = max(range(n), key=lambda i: deltas[i])
    if deltas[worst] > 0:
        x0, x1 = x(worst), x(worst + 1)
        y0, y1 = y(cumulative[worst]), y(cumulative[worst + 1])
        anchor = "end" if x1 > left + plot_w * 0.6 else "start"
        label_x = x1 - 8 if anchor == "end" else x1 + 8
        label = f"worst: {format_size(deltas[worst])} in {_short(str(tests[worst]['nodeid']), 48)}"
        parts.append(
            f'<g id="worst-growth"><line class="worst" x1="{x0:.1f}" y1="{y0:.1f}" '
            f'x2="{x1:.1f}" y2="{y1:.1f}"/><circle class="worst" cx="{x1:.1f}" cy="{y1:.1f}" '
            f'r="5"/><text class="worst-label" x="{label_x:.1f}" y="{max(y1 - 8, top + 10):.1f}" '
            f'text-anchor="{anchor}">{_e(label)}</text></g>'
        )
    parts.append(
        f'<line class="zero" x1="{left}" x2="{left + plot_w}" y1="{y(0):.1f}" y2="{y(0):.1f}"/>'
    )
    if flat:
        parts.append(
            f'<text class="muted" x="{left + plot_w / 2}" y="{top + plot_h / 2}" '
            'text-anchor="middle">no test changed RSS measurably</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def loop_timeline(tests: list[dict[str, Any]], loops: dict[str, dict[str, Any]]) -> str:
    """Inline SVG: one row per loop, one column per test; fixtures, test bodies, closes."""
    shown_loops = list(loops.items())[:MAX_TIMELINE_LOOPS]
    n = min(len(tests), MAX_TIMELINE_TESTS)
    label_w, row_h, top = 70, 18, 24
    cell = max(1.5, min(22.0, (CHART_WIDTH - label_w - 10) / max(n, 1)))
    width = int(label_w + cell * max(n, 1) + 20)
    height = top + row_h * max(len(shown_loops), 1) + 12
    parts = [
        f'<svg id="loop-timeline" class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-label="Loop timeline">'
        "<title>Which tests and fixtures ran on which event loop, and when loops closed</title>"
    ]
    if not shown_loops:
        parts.append(f'<text class="muted" x="10" y="{top + 12}">no event loops recorded</text>')
    tick_every = max(1, math.ceil(n / 10))
    for i in range(0, n, tick_every):
        parts.append(
            f'<text class="axis" x="{label_w + cell * (i + 0.5):.1f}" y="14" '
            f'text-anchor="middle">{i}</text>'
        )
    for row, (loop_id, info) in enumerate(shown_loops):
        y = top + row * row_h
        details = info["details"]
        tip = (
            f"{loop_id}: created at {details.get('created_at', '?')}; "
            f"first seen: {details.get('first_seen', '?')}; thread {details.get('thread', '?')}"
        )
        parts.append(
            f'<text class="loop-label" x="4" y="{y + 13}"><title>{_e(tip)}</title>'
            f"{_e(loop_id)}</text>"
        )
        used = sorted(i for i in info["uses"] if i < n)
        end = (
            info["closed_index"] if info["closed_index"] is not None else (used[-1] if used else 0)
        )
        if used:
            x0 = label_w + cell * used[0]
            x1 = label_w + cell * (min(max(end, used[-1]), n - 1) + 1)
            parts.append(
                f'<line class="life" x1="{x0:.1f}" x2="{x1:.1f}" y1="{y + 9}" y2="{y + 9}"/>'
            )
        for i in used:
            kinds = info["uses"][i]
            body = "test call" in kinds or "thread" in kinds
            if body:
                klass = "use-test"
            elif all(k.startswith("uses fixture") for k in kinds):
                klass = "use-value"
            else:
                klass = "use-fixture"
            text = f"{tests[i].get('nodeid')}: {', '.join(sorted(kinds))} on {loop_id}"
            parts.append(
                f'<rect class="{klass}" x="{label_w + cell * i + 0.3:.1f}" y="{y + 3}" '
                f'width="{max(cell - 0.6, 1):.1f}" height="{row_h - 6}"><title>{_e(text)}</title>'
                "</rect>"
            )
        if info["closed_index"] is not None and info["closed_index"] < n:
            cx = label_w + cell * (info["closed_index"] + 1)
            text = f"{loop_id} closed after {details.get('closed_after')}"
            parts.append(
                f'<g class="closed"><title>{_e(text)}</title>'
                f'<line x1="{cx - 4:.1f}" y1="{y + 5}" x2="{cx + 4:.1f}" y2="{y + 13}"/>'
                f'<line x1="{cx - 4:.1f}" y1="{y + 13}" x2="{cx + 4:.1f}" y2="{y + 5}"/></g>'
            )
    parts.append("</svg>")
    note = ""
    if len(loops) > len(shown_loops) or len(tests) > n:
        note = (
            f'<p class="muted">Showing the first {len(shown_loops)} of {len(loops)} loops and '
            f"{n} of {len(tests)} tests.</p>"
        )
    return "".join(parts) + note


def _table(table_id: str, headers: Iterable[tuple[str, str]], rows: list[str]) -> str:
    """A sortable table; header kind ``num`` sorts numerically by each cell's ``data-sort``."""
    head = "".join(
        f'<th data-kind="{kind}" tabindex="0" aria-sort="none">{_e(title)}</th>'
        for title, kind in headers
    )
    body = "".join(rows) or '<tr><td colspan="99" class="muted">nothing recorded</td></tr>'
    return (
        f'<table id="{table_id}" class="sortable"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def tests_table(tests: list[dict[str, Any]]) -> str:
    """Every test in run order; numbers carry ``data-sort`` so sorting is numeric, not textual."""
    rows = []
    for i, test in enumerate(tests):
        record = test.get("loops") if isinstance(test.get("loops"), dict) else {}
        call_loops = ", ".join(_ids(record.get("call"))) or "-"
        fixtures = record.get("fixtures") if isinstance(record.get("fixtures"), dict) else {}
        fixture_loops = sorted(
            {
                loop_id
                for f in fixtures.values()
                if isinstance(f, dict)
                for loop_id in _ids(f.get("setup"))
            }
        )
        findings = [f for f in test.get("findings") or [] if isinstance(f, dict)]
        codes = ", ".join(sorted({str(f.get("code")) for f in findings}))
        delta = int(test.get("rss_delta") or 0)
        outcome = str(test.get("outcome", ""))
        rows.append(
            f'<tr><td data-sort="{i}">{i}</td><td class="node">{_e(test.get("nodeid"))}</td>'
            f'<td class="{OUTCOME_CLASS.get(outcome, "")}">{_e(outcome)}</td>'
            f'<td data-sort="{delta}" class="num">{_e(format_size(delta))}</td>'
            f"<td>{_e(call_loops)}</td><td>{_e(', '.join(fixture_loops) or '-')}</td>"
            f'<td data-sort="{len(findings)}" class="num">{len(findings)}</td>'
            f"<td>{_e(codes)}</td></tr>"
        )
    headers = [
        ("#", "num"),
        ("test", "text"),
        ("outcome", "text"),
        ("RSS delta", "num"),
        ("test loop", "text"),
        ("fixture loops", "text"),
        ("findings", "num"),
        ("codes", "text"),
    ]
    return _table("tests-table", headers, rows)


def _finding_detail(finding: dict[str, Any]) -> str:
    """The message, plus the error and the run's facts (LR07) folded under it."""
    parts = [_e(finding.get("message"))]
    if finding.get("error"):
        parts.append(f'<div class="error">{_e(finding["error"])}</div>')
    facts = _ids(finding.get("facts"))
    if facts:
        items = "".join(f"<li>{_e(fact)}</li>" for fact in facts)
        parts.append(f"<details><summary>facts from this run</summary><ul>{items}</ul></details>")
    return "".join(parts)


def findings_table(report: dict[str, Any]) -> str:
    """Every finding, test-level then session-level, with the static rules it points to."""
    rows = []
    for nodeid, finding in _findings(report):
        rules = ", ".join(_ids(finding.get("rules")))
        explain = finding.get("explain") or (
            f"loopdoctor explain {_ids(finding.get('rules'))[0]}"
            if _ids(finding.get("rules"))
            else ""
        )
        rows.append(
            f'<tr><td class="node">{_e(nodeid)}</td><td>{_e(finding.get("code"))}</td>'
            f"<td>{_e(finding.get('name'))}</td><td>{_finding_detail(finding)}</td>"
            f'<td>{_e(rules)}<div class="muted">{_e(explain)}</div></td></tr>'
        )
    headers = [
        ("test", "text"),
        ("code", "text"),
        ("name", "text"),
        ("message", "text"),
        ("static rules", "text"),
    ]
    return _table("findings-table", headers, rows)


def loops_table(loops: dict[str, dict[str, Any]], tests: list[dict[str, Any]]) -> str:
    """One row per loop: where it was created, what ran on it, when it closed."""
    rows = []
    for order, (loop_id, info) in enumerate(loops.items()):
        details = info["details"]
        bodies = sorted(
            i for i, kinds in info["uses"].items() if "test call" in kinds or "thread" in kinds
        )
        closed = details.get("closed_after") or ("closed" if details.get("closed") else "open")
        rows.append(
            f'<tr><td data-sort="{order}">{_e(loop_id)}</td>'
            f'<td data-sort="{len(bodies)}" class="num">{len(bodies)}</td>'
            f"<td>{_e(', '.join(sorted(info['fixtures'])) or '-')}</td>"
            f"<td>{_e(details.get('thread', ''))}</td>"
            f'<td class="node">{_e(details.get("first_seen", ""))}</td>'
            f'<td class="node">{_e(closed)}</td>'
            f'<td class="node">{_e(details.get("created_at", ""))}</td></tr>'
        )
    headers = [
        ("loop", "num"),
        ("tests run on it", "num"),
        ("fixtures set up on it", "text"),
        ("thread", "text"),
        ("first seen", "text"),
        ("closed after", "text"),
        ("created at", "text"),
    ]
    return _table("loops-table", headers, rows)


def overview(report: dict[str, Any], loops: dict[str, dict[str, Any]]) -> str:
    """The cards at the top: what a reader needs to decide whether to scroll further."""
    tests = _tests(report)
    session = report.get("session") if isinstance(report.get("session"), dict) else {}
    outcomes: dict[str, int] = {}
    for test in tests:
        outcomes[str(test.get("outcome"))] = outcomes.get(str(test.get("outcome")), 0) + 1
    by_code: dict[str, int] = {}
    for _, finding in _findings(report):
        by_code[str(finding.get("code"))] = by_code.get(str(finding.get("code")), 0) + 1
    leaks = by_code.get("LR02", 0) + by_code.get("LR05", 0)
    rss = session.get("rss") if isinstance(session.get("rss"), dict) else {}
    total = int(rss.get("total_growth") or sum(int(t.get("rss_delta") or 0) for t in tests))
    trend = float(rss.get("trend_bytes_per_test") or 0.0)
    closed = sum(1 for info in loops.values() if info["details"].get("closed"))
    cards = [
        ("tests", str(len(tests)), ", ".join(f"{v} {k}" for k, v in sorted(outcomes.items()))),
        (
            "findings",
            str(sum(by_code.values())),
            ", ".join(f"{k}: {v}" for k, v in by_code.items()),
        ),
        ("leaks", str(leaks), "leaked tasks (LR02) and resources (LR05)"),
        (
            "loops",
            str(session.get("loops_seen", len(loops))),
            f"{closed} closed during the run",
        ),
        ("memory", format_size(total), f"session RSS change; trend {format_size(trend)}/test"),
    ]
    html_cards = "".join(
        f'<div class="card"><div class="label">{_e(label)}</div>'
        f'<div class="value">{_e(value)}</div><div class="muted">{_e(note)}</div></div>'
        for label, value, note in cards
    )
    versions = ", ".join(
        f"{name} {session[key]}"
        for name, key in (
            ("Python", "python"),
            ("pytest", "pytest"),
            ("pytest-asyncio", "pytest_asyncio"),
        )
        if session.get(key)
    )
    workers = session.get("workers") or 0
    meta = versions + (f"; {workers} xdist workers" if workers else "")
    errors = session.get("internal_errors") or []
    error_html = ""
    if errors:
        error_html = '<div class="warn">loopdoctor internal errors: ' + "; ".join(
            _e(e if isinstance(e, str) else e.get("message", e)) for e in errors
        )
        error_html += "</div>"
    return (
        f'<section id="overview"><div class="cards">{html_cards}</div>'
        f'<p class="muted">{_e(meta)}</p>{error_html}</section>'
    )


_CSS = """
:root{--fg:#1d2330;--muted:#667085;--line:#d0d5dd;--accent:#2563eb;--bad:#dc2626;--ok:#15803d;
--fix:#ea8c00;--bg:#fff;--soft:#f5f7fa}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;
color:var(--fg);background:var(--bg)}header{padding:18px 28px;background:#111827;color:#fff}
header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#cbd5e1}
main{padding:12px 28px 40px;max-width:1400px}h2{font-size:16px;margin:28px 0 8px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin-top:12px}
.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:160px;
background:var(--soft)}
.card .label{color:var(--muted);text-transform:uppercase;font-size:11px;letter-spacing:.05em}
.card .value{font-size:24px;font-weight:600}.muted{color:var(--muted)}
.warn{background:#fef3c7;border:1px solid #f59e0b;padding:8px;border-radius:6px}
.chart-wrap{overflow-x:auto;border:1px solid var(--line);border-radius:8px;padding:6px;
background:#fff}
svg.chart{display:block;font-size:11px}svg .grid{stroke:#eef0f3}svg .zero{stroke:#98a2b3}
svg .axis,svg .muted{fill:var(--muted)}svg .line{fill:none;stroke:var(--accent);stroke-width:2}
svg .bar.up{fill:#bfdbfe}svg .bar.down{fill:#d1fae5}
svg line.worst{stroke:var(--bad);stroke-width:4}svg circle.worst{fill:var(--bad)}
svg .worst-label{fill:var(--bad);font-weight:600}svg .loop-label{font-weight:600;fill:var(--fg)}
svg .life{stroke:#cbd5e1;stroke-width:2}svg .use-test{fill:var(--accent)}
svg .use-fixture{fill:var(--fix)}
svg .use-value{fill:#fff;stroke:var(--fix);stroke-width:1.5}
svg .worst-label{paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}
svg .closed line{stroke:var(--bad);stroke-width:2}
.legend span{display:inline-block;margin-right:14px}.sw{display:inline-block;width:10px;height:10px;
margin-right:4px;vertical-align:middle}
table{border-collapse:collapse;width:100%;margin-top:6px}th,td{border-bottom:1px solid var(--line);
padding:4px 8px;text-align:left;vertical-align:top}th{cursor:pointer;background:var(--soft);
user-select:none;white-space:nowrap}th[aria-sort=ascending]::after{content:" ▲"}
th[aria-sort=descending]::after{content:" ▼"}td.num{text-align:right;white-space:nowrap}
td.node{font-family:ui-monospace,Menlo,monospace;font-size:12px;word-break:break-all}
td.ok{color:var(--ok)}td.bad{color:var(--bad);font-weight:600}td.skip{color:var(--muted)}
td .error{font-family:ui-monospace,Menlo,monospace;font-size:12px;color:var(--bad)}
details summary{cursor:pointer;color:var(--accent)}details ul{margin:4px 0;padding-left:18px}
input#filter{padding:4px 8px;border:1px solid var(--line);border-radius:6px;width:320px}
"""

_JS = r"""
(function () {
  "use strict";
  function key(row, index, kind) {
    var cell = row.children[index];
    if (!cell) { return kind === "num" ? 0 : ""; }
    var raw = cell.getAttribute("data-sort");
    if (kind === "num") {
      var value = parseFloat(raw !== null ? raw : cell.textContent);
      return isNaN(value) ? 0 : value;
    }
    return (raw !== null ? raw : cell.textContent).toLowerCase();
  }
  function sortBy(table, th) {
    var headers = Array.prototype.slice.call(th.parentNode.children);
    var index = headers.indexOf(th);
    var kind = th.getAttribute("data-kind");
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    headers.forEach(function (h) { h.setAttribute("aria-sort", "none"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a, index, kind), y = key(b, index, kind);
      var order = x < y ? -1 : x > y ? 1 : 0;
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("th").forEach(function (th) {
      th.addEventListener("click", function () { sortBy(table, th); });
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          sortBy(table, th);
        }
      });
    });
  });
  // ``#sort=tests-table:3:desc`` in the URL sorts a table on load (shareable views, and tests).
  var match = /^#sort=([\w-]+):(\d+)(?::(asc|desc))?$/.exec(window.location.hash);
  if (match) {
    var target = document.getElementById(match[1]);
    var th = target && target.querySelectorAll("thead th")[parseInt(match[2], 10)];
    if (th) {
      sortBy(target, th);
      if (match[3] === "desc") { sortBy(target, th); }
    }
  }
  var filter = document.getElementById("filter");
  if (filter) {
    filter.addEventListener("input", function () {
      var needle = filter.value.toLowerCase();
      document.querySelectorAll("#tests-table tbody tr").forEach(function (row) {
        row.style.display = row.textContent.toLowerCase().indexOf(needle) === -1 ? "none" : "";
      });
    });
  }
  document.body.setAttribute("data-ready", "1");
})();
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"


def render_html(report: dict[str, Any]) -> str:
    """The whole page for a runtime report dict (tolerant of missing keys: never raises)."""
    tests = _tests(report)
    loops = loop_usage(tests)
    session = report.get("session") if isinstance(report.get("session"), dict) else {}
    title = f"loopdoctor loop report: {len(tests)} tests"
    legend = (
        '<p class="legend"><span><i class="sw" style="background:#2563eb"></i>the test body ran '
        'on the loop</span><span><i class="sw" style="background:#ea8c00"></i>only setup or '
        'teardown (fixtures) ran on it</span><span><i class="sw" style="border:1.5px solid '
        '#ea8c00"></i>the test used a fixture value made earlier on it</span>'
        '<span style="color:#dc2626">&times; loop closed</span>'
        "<span>grey line: the loop's lifetime</span></p>"
    )
    settings = session.get("settings") if isinstance(session.get("settings"), dict) else {}
    threshold = settings.get("max_growth")
    memory_note = (
        f"Per-test growth above {format_size(int(threshold))} is reported as LR03. "
        if isinstance(threshold, int | float)
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{_e(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<header><h1>loopdoctor loop report</h1>
<p>schema_version {_e(report.get("schema_version"))}: which loop everything ran on, what leaked,
what grew.</p></header>
<main>
{overview(report, loops)}
<section id="memory"><h2>Memory: RSS growth over the tests</h2>
<p class="muted">{_e(memory_note)}Blue line: cumulative RSS change after each test's teardown;
bars: each test's own change; red: the largest single growth.</p>
<div class="chart-wrap">{rss_chart(tests)}</div></section>
<section id="timeline"><h2>Loop timeline</h2>{legend}
<div class="chart-wrap">{loop_timeline(tests, loops)}</div></section>
<section id="findings"><h2>Findings</h2>{findings_table(report)}</section>
<section id="tests"><h2>Tests</h2>
<input id="filter" type="search" placeholder="filter tests" aria-label="filter tests">
{tests_table(tests)}</section>
<section id="loops"><h2>Loops</h2>{loops_table(loops, tests)}</section>
</main>
<script>{_JS}</script>
</body>
</html>
"""


def write_html(path: str | os.PathLike[str], report: dict[str, Any]) -> str:
    """Render ``report`` and write it to ``path`` atomically; return the absolute path.

    Atomic (temporary file + ``os.replace``) so a CI artifact step never picks up half a page
    when a run is interrupted while writing.
    """
    target = os.path.abspath(os.fspath(path))
    directory = os.path.dirname(target)
    os.makedirs(directory, exist_ok=True)
    text = render_html(report)
    fd, tmp = tempfile.mkstemp(prefix=".loop-report-", suffix=".html", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide the page from artifact servers
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target
