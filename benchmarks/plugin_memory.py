"""Memory of the doctor itself over a 10,000-test synthetic suite (issue 8, item 5).

The suite mixes sync and async tests, tests that leak a pending task and tests
that drop a never-awaited coroutine. A tiny conftest hook records the process
RSS and the number of gc-tracked objects every 500 tests. The suite runs once
without the doctor and once with ``--loop-report --loop-report-json``; pytest
itself grows (it keeps every report for the summary), so the doctor's own
growth is the difference of the two slopes, printed per 1,000 tests.

    python benchmarks/plugin_memory.py [--tests 10000] [--keep DIR]

The doctor keeps each finished test's record (compact JSON text) for the report,
so its RSS may grow by the size of those records and nothing more: exits 1 when
its own slope exceeds the records' bytes per 1,000 tests plus --slack-kib-per-1000,
or when it keeps more than --max-objects-per-1000 extra gc-tracked objects.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SAMPLE_EVERY = 500

CONFTEST = f'''
"""Records (tests done, RSS bytes, gc-tracked objects) every {SAMPLE_EVERY} tests."""
import gc
import os

_PAGE = os.sysconf("SC_PAGE_SIZE")
_DONE = [0]
_OUT = os.environ["LD_MEMORY_SAMPLES"]


def _rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * _PAGE


def pytest_runtest_logfinish(nodeid, location):
    _DONE[0] += 1
    if _DONE[0] % {SAMPLE_EVERY} == 0:
        with open(_OUT, "a") as fh:
            fh.write(f"{{_DONE[0]}} {{_rss()}} {{len(gc.get_objects())}}\\n")
'''

SUITE = """
import asyncio

import pytest

N = int(__import__("os").environ["LD_MEMORY_PER_KIND"])


async def forever():
    await asyncio.sleep(3600)


async def helper():
    return 1


@pytest.mark.parametrize("n", range(N))
def test_sync(n):
    assert sum(range(50)) == 1225


@pytest.mark.parametrize("n", range(N))
@pytest.mark.asyncio
async def test_async(n):
    await asyncio.sleep(0)


@pytest.mark.parametrize("n", range(N))
@pytest.mark.asyncio
async def test_async_leaks_task(n):
    asyncio.create_task(forever())
    await asyncio.sleep(0)


@pytest.mark.parametrize("n", range(N))
@pytest.mark.asyncio
async def test_async_gathers(n):
    await asyncio.gather(*(asyncio.sleep(0) for _ in range(5)))


@pytest.mark.parametrize("n", range(N))
def test_creates_coroutine(n):
    coro = helper()
    coro.close()  # created and closed: a coroutine object per test, no warning noise
"""

INI = """[pytest]
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
"""


def _slope(points: list[tuple[int, int]]) -> float:
    """Least-squares slope of y per x."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    var = sum((p[0] - mx) ** 2 for p in points)
    return sum((p[0] - mx) * (p[1] - my) for p in points) / var if var else 0.0


@dataclass
class Result:
    """One run: samples (tests done, RSS bytes, gc objects), slopes per 1,000 tests, wall."""

    rows: list[tuple[int, int, int]]
    rss_per_1000: float
    objects_per_1000: float
    wall: float
    summary: str


def run(suite: Path, name: str, args: list[str], per_kind: int) -> Result:
    """One pytest run of the suite; its samples, slopes and wall time."""
    samples = suite / f"samples-{name}.txt"
    samples.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(LD_MEMORY_SAMPLES=str(samples), LD_MEMORY_PER_KIND=str(per_kind))
    cmd = [sys.executable, "-m", "pytest", "-q", "--tb=no", "-p", "no:randomly"]
    cmd += ["-p", "no:cacheprovider", "-W", "ignore", *args]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=suite, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{name}: pytest exit {proc.returncode}\n{proc.stdout[-3000:]}")
    rows = []
    for line in samples.read_text().splitlines():
        done, rss, objects = (int(x) for x in line.split())
        rows.append((done, rss, objects))
    # Skip the first 1,000 tests: imports, first loops, allocator warm-up.
    steady = [r for r in rows if r[0] > 1000]
    return Result(
        rows=rows,
        rss_per_1000=_slope([(r[0], r[1]) for r in steady]) * 1000,
        objects_per_1000=_slope([(r[0], r[2]) for r in steady]) * 1000,
        wall=wall,
        summary=proc.stdout.strip().splitlines()[-1],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="write the suite here and keep it")
    parser.add_argument("--slack-kib-per-1000", type=float, default=256.0)
    parser.add_argument("--max-objects-per-1000", type=float, default=100.0)
    args = parser.parse_args(argv)
    per_kind = max(1, args.tests // 5)
    tests = per_kind * 5
    suite = args.keep or Path(tempfile.mkdtemp(prefix="ld-memory-"))
    suite.mkdir(parents=True, exist_ok=True)
    (suite / "pytest.ini").write_text(INI)
    (suite / "conftest.py").write_text(CONFTEST)
    (suite / "test_synthetic.py").write_text(SUITE)
    report = suite / "report.json"
    try:
        without = run(suite, "without", [], per_kind)
        flags = ["--loop-report", f"--loop-report-json={report}"]
        with_doctor = run(suite, "with", flags, per_kind)
        json_size = report.stat().st_size
        data = json.loads(report.read_text())
    finally:
        if args.keep is None:
            shutil.rmtree(suite, ignore_errors=True)
    print(f"{tests} tests, sampled every {SAMPLE_EVERY} tests (slopes after the first 1000)")
    print(f"{'tests':>6} {'RSS without':>12} {'RSS with':>12} {'gc objs without':>16} {'with':>10}")
    for a, b in zip(without.rows, with_doctor.rows, strict=False):
        print(f"{a[0]:>6} {a[1] / 2**20:>10.1f}Mi {b[1] / 2**20:>10.1f}Mi {a[2]:>16} {b[2]:>10}")
    print()
    for name, res in (("without", without), ("with --loop-report", with_doctor)):
        print(
            f"{name:>20}: RSS {res.rss_per_1000 / 1024:8.1f} KiB/1000 tests, gc objects "
            f"{res.objects_per_1000:8.1f}/1000 tests, wall {res.wall:.1f}s ({res.summary})"
        )
    own_rss = (with_doctor.rss_per_1000 - without.rss_per_1000) / 1024
    own_objs = with_doctor.objects_per_1000 - without.objects_per_1000
    findings = sum(len(t["findings"]) for t in data["tests"])
    print(
        f"{'doctor own growth':>20}: RSS {own_rss:8.1f} KiB/1000 tests, gc objects "
        f"{own_objs:8.1f}/1000 tests; {len(data['tests'])} records, {findings} findings, "
        f"JSON {json_size / 2**20:.1f} MiB"
    )
    # The records themselves: what the report needs, kept as text until session end.
    records_kib = json_size / tests * 1000 / 1024
    allowed = records_kib + args.slack_kib_per_1000
    print(
        f"{'allowed':>20}: RSS {allowed:8.1f} KiB/1000 tests (records {records_kib:.1f} + "
        f"slack {args.slack_kib_per_1000:.0f}), gc objects {args.max_objects_per_1000:.0f}/1000"
    )
    problems = []
    if own_rss > allowed:
        problems.append(f"RSS slope {own_rss:.1f} KiB/1000 > {allowed:.1f}")
    if own_objs > args.max_objects_per_1000:
        problems.append(f"object slope {own_objs:.1f}/1000 > {args.max_objects_per_1000}")
    if data["session"]["internal_errors"]:
        problems.append(f"internal errors: {data['session']['internal_errors']}")
    if len(data["tests"]) != tests:
        problems.append(f"{len(data['tests'])} records for {tests} tests")
    for problem in problems:
        print(f"NOT FLAT: {problem}")
    if not problems:
        print("flat: the doctor's own memory does not grow with the number of tests")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
