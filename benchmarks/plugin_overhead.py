"""Wall-clock overhead of `pytest --loop-report` against plain pytest.

Generates two suites in a temporary directory: 1,000 trivial async tests and a
small FastAPI + async SQLAlchemy (aiosqlite) + httpx suite. Each variant runs
in pairs with plain pytest, alternating which goes first, and the table shows
medians and the median of the per-pair ratios. `--asyncio-debug` and
pytest-memray (`--memray`, when installed) are measured the same way.

    python benchmarks/plugin_overhead.py [--pairs 5] [--fastapi-pairs 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

MEMRAY_MAX_PAIRS = 3  # memray is ~10x slower; a few pairs tell the story
TRIVIAL_FILES = 10
TRIVIAL_PER_FILE = 100

INI = """[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
pythonpath = .
"""

TRIVIAL_TEST = """
import asyncio


async def test_{i}():
    await asyncio.sleep(0)
"""

APP = """
from fastapi import Depends, FastAPI, Request
from sqlalchemy import Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


def create_app(engine):
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    app = FastAPI()

    async def get_session(request: Request):
        async with sessions() as session:
            yield session

    @app.post("/items")
    async def create(name: str, session: AsyncSession = Depends(get_session)):
        item = Item(name=name)
        session.add(item)
        await session.commit()
        return {"id": item.id}

    @app.get("/items")
    async def list_items(session: AsyncSession = Depends(get_session)):
        return [i.name for i in (await session.execute(select(Item))).scalars()]

    return app
"""

CONFTEST = """
import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from bench_app import Base, create_app


@pytest.fixture
async def client(tmp_path):
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    transport = httpx.ASGITransport(app=create_app(engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c
    await engine.dispose()
"""

FASTAPI_TEST = """
import pytest


@pytest.mark.parametrize("n", range(25))
async def test_roundtrip_{i}(client, n):
    assert (await client.post("/items", params={{"name": str(n)}})).status_code == 200
    assert (await client.get("/items")).json() == [str(n)]
"""


def make_trivial(root: Path) -> Path:
    suite = root / "trivial"
    suite.mkdir()
    (suite / "pytest.ini").write_text(INI)
    for f in range(TRIVIAL_FILES):
        body = "".join(
            TRIVIAL_TEST.format(i=f * TRIVIAL_PER_FILE + i) for i in range(TRIVIAL_PER_FILE)
        )
        (suite / f"test_trivial_{f}.py").write_text(body)
    return suite


def make_fastapi(root: Path) -> Path:
    suite = root / "fastapi"
    suite.mkdir()
    (suite / "pytest.ini").write_text(INI)
    (suite / "bench_app.py").write_text(textwrap.dedent(APP))
    (suite / "conftest.py").write_text(textwrap.dedent(CONFTEST))
    for f in range(4):
        (suite / f"test_api_{f}.py").write_text(FASTAPI_TEST.format(i=f))
    return suite


def run(suite: Path, extra: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) for one pytest run."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    cmd += extra
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTEST_ADDOPTS", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=suite, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} failed in {suite}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return elapsed, cpu


Timing = tuple[float, float, float, float, float, float]


def measure(suite: Path, variant: list[str], pairs: int) -> Timing:
    """Medians: variant wall s, plain wall s, wall ratio (min, max), CPU ratio."""
    a_times: list[float] = []
    b_times: list[float] = []
    ratios: list[float] = []
    cpu_ratios: list[float] = []
    run(suite, [])  # warm the file cache and bytecode
    for i in range(pairs):
        if i % 2 == 0:
            a, a_cpu = run(suite, variant)
            b, b_cpu = run(suite, [])
        else:
            b, b_cpu = run(suite, [])
            a, a_cpu = run(suite, variant)
        a_times.append(a)
        b_times.append(b)
        ratios.append(a / b)
        cpu_ratios.append(a_cpu / b_cpu)
    return (
        statistics.median(a_times),
        statistics.median(b_times),
        statistics.median(ratios),
        min(ratios),
        max(ratios),
        statistics.median(cpu_ratios),
    )


def precompile() -> None:
    """Byte-compile loopdoctor like an installed wheel would be.

    An editable checkout under PYTHONDONTWRITEBYTECODE=1 otherwise recompiles
    the plugin (~30 ms) in every run, which no installed user pays.
    """
    import loopdoctor

    package = Path(loopdoctor.__file__).parent
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(package)], check=False, capture_output=True
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5, help="pairs per variant, trivial suite")
    parser.add_argument("--fastapi-pairs", type=int, default=3, help="pairs, FastAPI suite")
    args = parser.parse_args()
    variants: list[tuple[str, list[str]]] = [
        ("--loop-report", ["--loop-report", "--loop-report-json=report.json"]),
        ("--asyncio-debug", ["--asyncio-debug"]),
    ]
    if importlib.util.find_spec("pytest_memray") is not None:
        variants.append(("--memray", ["--memray"]))
    else:
        print("pytest-memray is not installed: skipping the --memray comparison")
    precompile()
    rows: list[tuple[str, str, int, Timing]] = []
    with tempfile.TemporaryDirectory(prefix="loopdoctor-bench-") as tmp:
        root = Path(tmp)
        suites = [
            ("1000 trivial async", make_trivial(root), args.pairs),
            ("FastAPI+aiosqlite (100)", make_fastapi(root), args.fastapi_pairs),
        ]
        for suite_name, suite, pairs in suites:
            for name, extra in variants:
                n = min(pairs, MEMRAY_MAX_PAIRS) if name == "--memray" else pairs
                print(f"measuring {suite_name}: {name} ({n} pairs)...", flush=True)
                rows.append((suite_name, name, n, measure(suite, extra, n)))
    header = (
        f"{'suite':<24} {'variant':<16} {'pairs':>5} {'A s':>7} {'plain s':>8} {'A/plain':>8}"
        "  range        CPU A/plain"
    )
    print()
    print(header)
    print("-" * len(header))
    for suite_name, name, pairs, (a, b, ratio, lo, hi, cpu) in rows:
        print(
            f"{suite_name:<24} {name:<16} {pairs:>5} {a:>7.2f} {b:>8.2f} {ratio:>8.3f}"
            f"  [{lo:.2f}-{hi:.2f}]  {cpu:>8.3f}"
        )


if __name__ == "__main__":
    main()
