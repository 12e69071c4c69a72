"""Lint speed on a large public tree: loopdoctor against ruff, flake8-async and Fixit (issue 6).

Builds the tree on the fly: CPython's ``Lib/`` from the running interpreter plus the test
suites of a few async projects downloaded as sdists (``pip download --no-deps --no-binary
:all:``; a package that fails to download is skipped with a message). The peers are installed
into their own virtualenv (default ``/tmp/ld-bench-venv``), never into the project's.

Times, in one run on the same tree: loopdoctor cold (``--no-cache``), warm (cache, nothing
changed) and with one file changed; ``ruff check --select ASYNC,RUF006,PT,B`` cold
(``--no-cache``) and warm; ``flake8 --select ASYNC`` with flake8-async; ``fixit lint``. Reports
the median wall time of ``--runs`` runs, the CPU time of the child processes, files per
second and loopdoctor's ratio to each peer; checks that cold (default jobs), cold ``--jobs 1``
and warm runs print identical JSON; prints a Markdown table and writes it to
``benchmarks/results.md``. flake8-async and Fixit take many minutes on thousands of files:
``--flake8-files N`` / ``--fixit-files N`` run them on every k-th file (N files, spread over
the tree) and extrapolate their time per file to the whole tree; the table says so. ``0``
runs them on the whole tree.

    python benchmarks/lint_speed.py [--runs 3] [--flake8-files 400] [--fixit-files 100]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ASYNC_PROJECTS = (
    "httpx",
    "starlette",
    "asgi-lifespan",
    "aiosqlite",
    "pytest-asyncio",
    "anyio",
    "fastapi",
)
PEERS = ("ruff", "flake8", "flake8-async", "fixit")
RUFF_SELECT = "ASYNC,RUF006,PT,B"
PIP_DOWNLOAD = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-q"]


@dataclass
class Timing:
    tool: str
    mode: str
    files: int
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus)

    @property
    def rate(self) -> float:
        return self.files / self.wall if self.wall else float("inf")


def log(message: str) -> None:
    print(f"[lint_speed] {message}", file=sys.stderr, flush=True)


# -- the tree ------------------------------------------------------------------------------------
def build_tree(work: Path) -> Path:
    tree = work / "tree"
    if tree.exists():
        shutil.rmtree(tree)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    log(f"copying {stdlib}")
    shutil.copytree(
        stdlib,
        tree / "cpython-Lib",
        ignore=shutil.ignore_patterns("site-packages", "__pycache__", "*.pyc", "*.so"),
        symlinks=True,
    )
    downloads = work / "sdists"
    downloads.mkdir(exist_ok=True)
    for package in ASYNC_PROJECTS:
        target = tree / "projects" / package
        try:
            archive = download_sdist(package, downloads)
            extract_tests(archive, target)
            log(f"{package}: {sum(1 for _ in target.rglob('*.py'))} files")
        except Exception as exc:
            log(f"skipping {package}: {exc}")
            shutil.rmtree(target, ignore_errors=True)
    return tree


def download_sdist(package: str, into: Path) -> Path:
    existing = [p for p in into.iterdir() if _sdist_of(p, package)]
    if not existing:
        done = subprocess.run(
            [*PIP_DOWNLOAD, "-d", str(into), package],
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode:
            raise RuntimeError((done.stderr or done.stdout).strip().splitlines()[-1])
        existing = [p for p in into.iterdir() if _sdist_of(p, package)]
    if not existing:
        raise RuntimeError("pip downloaded no sdist")
    return sorted(existing)[-1]


def _sdist_of(path: Path, package: str) -> bool:
    stem = package.replace("-", "_").lower()
    name = path.name.replace("-", "_").lower()
    return name.startswith(stem + "_") and path.name.endswith((".tar.gz", ".zip"))


def extract_tests(archive: Path, target: Path) -> None:
    """The sdist's test suite (and conftests); the whole sdist when it ships no tests dir."""
    with tempfile.TemporaryDirectory() as tmp:
        if archive.name.endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(tmp)
        else:
            with tarfile.open(archive) as tf:
                tf.extractall(tmp, filter="data")
        roots = [p for p in Path(tmp).iterdir() if p.is_dir()]
        root = roots[0] if len(roots) == 1 else Path(tmp)
        tests = [p for p in (root / "tests", root / "test") if p.is_dir()]
        target.mkdir(parents=True, exist_ok=True)
        for config in ("pyproject.toml", "setup.cfg", "pytest.ini", "tox.ini"):
            if (root / config).is_file():
                shutil.copy2(root / config, target / config)
        if tests:
            for found in tests:
                shutil.copytree(found, target / found.name)
        else:
            shutil.copytree(root, target, dirs_exist_ok=True)


# -- peers ----------------------------------------------------------------------------------------
def peers_venv(path: Path) -> Path:
    python = path / "bin" / "python"
    if not python.exists():
        log(f"creating {path}")
        subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    have = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=json"], capture_output=True, text=True
    )
    installed = {p["name"].lower() for p in json.loads(have.stdout or "[]")}
    missing = [p for p in PEERS if p not in installed]
    if missing:
        log(f"installing {' '.join(missing)} into {path}")
        subprocess.run([str(python), "-m", "pip", "install", "-q", *missing], check=True)
    return path / "bin"


# -- timing ---------------------------------------------------------------------------------------
def timed(argv: list[str], cwd: Path) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode not in (0, 1):
        log(f"{argv[0]} exited {done.returncode}: {done.stderr.strip()[-400:]}")
    return wall, cpu, done


def measure(timing: Timing, argv: list[str], cwd: Path, runs: int, before=None, after=None):
    for number in range(runs):
        if before is not None:
            before(number)
        wall, cpu, done = timed(argv, cwd)
        if after is not None:
            after(done)
        timing.walls.append(wall)
        timing.cpus.append(cpu)
        log(f"{timing.tool} {timing.mode}: {wall:.2f}s wall, {cpu:.2f}s CPU")
    return timing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "ld-bench")
    parser.add_argument("--venv", type=Path, default=Path("/tmp/ld-bench-venv"))
    parser.add_argument("--runs", type=int, default=3, help="runs of the fast measurements")
    parser.add_argument("--slow-runs", type=int, default=3, help="runs of cold loopdoctor")
    parser.add_argument("--one-runs", type=int, default=3, help="runs with one file changed")
    parser.add_argument("--flake8-files", type=int, default=400, help="0: the whole tree")
    parser.add_argument("--fixit-files", type=int, default=100, help="0: the whole tree")
    parser.add_argument(
        "--verify-serial",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run cold --jobs 1 and compare its output",
    )
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results.md")
    args = parser.parse_args()

    args.work.mkdir(parents=True, exist_ok=True)
    tree = build_tree(args.work)
    bin_dir = peers_venv(args.venv)
    loopdoctor = [sys.executable, "-m", "loopdoctor", "check", "."]
    as_json = ["--output-format", "json", "--exit-zero"]
    cache_dir = args.work / "ruff-cache"
    files = sorted(p for p in tree.rglob("*.py") if p.is_file())
    count = len(files)
    log(f"tree: {count} .py files")

    payloads: dict[str, dict] = {}

    def keep(name: str):
        def store(done: subprocess.CompletedProcess[str]) -> None:
            data = json.loads(done.stdout)
            data.pop("stats", None)
            payloads[name] = data

        return store

    ld_cold = measure(
        Timing("loopdoctor", "cold (--no-cache)", count),
        [*loopdoctor, *as_json, "--no-cache"],
        tree,
        args.slow_runs,
        after=keep("cold"),
    )
    shutil.rmtree(tree / ".loopdoctor_cache", ignore_errors=True)
    ld_fill = measure(
        Timing("loopdoctor", "cold, empty cache (writes it)", count),
        [*loopdoctor, *as_json],
        tree,
        1,
    )
    ld_warm = measure(
        Timing("loopdoctor", "warm (nothing changed)", count),
        [*loopdoctor, *as_json],
        tree,
        args.runs,
        after=keep("warm"),
    )
    changed = next(
        (p for p in files if "projects" in p.parts and p.name.startswith("test_")), files[0]
    )
    original = changed.read_bytes()

    def touch(number: int) -> None:
        with changed.open("a", encoding="utf-8") as handle:
            handle.write(f"\n\ndef _bench_edit_{number}():\n    return {number}\n")

    ld_one = measure(
        Timing("loopdoctor", "one file changed", count, note=str(changed.relative_to(tree))),
        [*loopdoctor, *as_json],
        tree,
        args.one_runs,
        before=touch,
    )
    changed.write_bytes(original)
    results = [ld_cold, ld_fill, ld_warm, ld_one]

    ruff = [str(bin_dir / "ruff"), "check", "--select", RUFF_SELECT, "--exit-zero", "-q", "."]
    ruff_cold = measure(
        Timing("ruff", "cold (--no-cache)", count), [*ruff, "--no-cache"], tree, args.runs
    )
    shutil.rmtree(cache_dir, ignore_errors=True)
    subprocess.run([*ruff, "--cache-dir", str(cache_dir)], cwd=tree, capture_output=True)
    ruff_warm = measure(
        Timing("ruff", "warm (cache)", count),
        [*ruff, "--cache-dir", str(cache_dir)],
        tree,
        args.runs,
    )
    concise = [*ruff, "--output-format", "concise"]
    ruff_cold_concise = measure(
        Timing("ruff", "cold (--no-cache), --output-format concise", count),
        [*concise, "--no-cache"],
        tree,
        args.runs,
    )
    ruff_warm_concise = measure(
        Timing("ruff", "warm (cache), --output-format concise", count),
        [*concise, "--cache-dir", str(cache_dir)],
        tree,
        args.runs,
    )
    flake8_files = files if not args.flake8_files else files[:: max(1, count // args.flake8_files)]
    flake8 = measure(
        Timing("flake8 + flake8-async", _sample("--select ASYNC", flake8_files, count), count),
        [str(bin_dir / "flake8"), "--select", "ASYNC", "--exit-zero"]
        + ([str(p.relative_to(tree)) for p in flake8_files] if args.flake8_files else ["."]),
        tree,
        1,
    )
    flake8.files = len(flake8_files)
    fixit_files = files if not args.fixit_files else files[:: max(1, count // args.fixit_files)]
    fixit = measure(
        Timing("fixit", _sample("lint", fixit_files, count), len(fixit_files)),
        [str(bin_dir / "fixit"), "lint", *[str(p.relative_to(tree)) for p in fixit_files]],
        tree,
        1,
    )
    results += [ruff_cold, ruff_warm, ruff_cold_concise, ruff_warm_concise, flake8, fixit]

    same = payloads["cold"] == payloads["warm"]
    checked = "`--no-cache` (default jobs) = warm cache"
    if args.verify_serial:
        serial = measure(
            Timing("loopdoctor", "cold, --jobs 1 --no-cache", count),
            [*loopdoctor, *as_json, "--no-cache", "--jobs", "1"],
            tree,
            1,
            after=keep("serial"),
        )
        results.append(serial)
        same = same and payloads["serial"] == payloads["cold"]
        checked = "`--no-cache --jobs 1` = `--no-cache` (default jobs) = warm cache"
    table = render(results, ld_cold, ld_warm, ld_one, ruff_cold, ruff_warm, flake8, fixit)
    table += render_concise(ld_cold, ld_warm, ld_one, ruff_cold_concise, ruff_warm_concise)
    table += (
        f"\nOutput identical ({checked}): {'yes' if same else 'NO'}; "
        f"{len(payloads['cold']['findings'])} findings, "
        f"{len(payloads['cold']['errors'])} file errors.\n"
    )
    print(table)
    args.out.write_text(table, encoding="utf-8")
    log(f"wrote {args.out}")


def _sample(mode: str, chosen: list[Path], count: int) -> str:
    if len(chosen) == count:
        return mode
    return f"{mode}, every {count // len(chosen)}th file ({len(chosen)}), extrapolated"


def render(results: list[Timing], ld_cold, ld_warm, ld_one, ruff_cold, ruff_warm, flake8, fixit):
    cpus = os.cpu_count() or 1
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        "# Lint speed (benchmarks/lint_speed.py)",
        "",
        f"Tree: {ld_cold.files} Python files (CPython Lib of Python "
        f"{sys.version.split()[0]} plus async projects' test suites); {cpus} CPUs; "
        f"load average at the end {load:.1f}. Wall = median of runs; CPU = user+sys of the "
        "child processes. Peers run on a sample are extrapolated per file to the whole tree.",
        "",
        "| tool | mode | files | wall s | CPU s | files/s | runs |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for t in results:
        mode = f"{t.mode} ({t.note})" if t.note else t.mode
        lines.append(
            f"| {t.tool} | {mode} | {t.files} | {t.wall:.2f} | {t.cpu:.2f} | {t.rate:,.1f} "
            f"| {len(t.walls)} |"
        )
    total = ld_cold.files

    def whole(t: Timing) -> tuple[float, float]:
        scale = total / max(1, t.files)
        return t.wall * scale, t.cpu * scale

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.3f}x" if b else "n/a"

    f8_wall, f8_cpu = whole(flake8)
    fx_wall, fx_cpu = whole(fixit)
    lines += [
        "",
        "| ratio (loopdoctor / peer) | wall | CPU | target (issue 6, wall) |",
        "|---|---:|---:|---|",
        f"| cold / ruff cold | {ratio(ld_cold.wall, ruff_cold.wall)} | "
        f"{ratio(ld_cold.cpu, ruff_cold.cpu)} | <= 10x |",
        f"| cold / flake8-async | {ratio(ld_cold.wall, f8_wall)} | "
        f"{ratio(ld_cold.cpu, f8_cpu)} | <= 0.05x |",
        f"| cold / Fixit | {ratio(ld_cold.wall, fx_wall)} | {ratio(ld_cold.cpu, fx_cpu)} | - |",
        f"| warm / ruff warm | {ratio(ld_warm.wall, ruff_warm.wall)} | "
        f"{ratio(ld_warm.cpu, ruff_warm.cpu)} | <= 5x |",
        f"| one changed / ruff warm | {ratio(ld_one.wall, ruff_warm.wall)} | "
        f"{ratio(ld_one.cpu, ruff_warm.cpu)} | <= 10x |",
    ]
    return "\n".join(lines) + "\n"


def render_concise(ld_cold, ld_warm, ld_one, ruff_cold, ruff_warm) -> str:
    """The same ratios against ruff printing one line per diagnostic: with the default
    (full) format most of ruff's time goes to rendering code frames for its diagnostics."""

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}x" if b else "n/a"

    return "\n".join(
        [
            "",
            "| ratio (loopdoctor / ruff --output-format concise) | wall | CPU | target |",
            "|---|---:|---:|---|",
            f"| cold / ruff cold | {ratio(ld_cold.wall, ruff_cold.wall)} | "
            f"{ratio(ld_cold.cpu, ruff_cold.cpu)} | <= 10x |",
            f"| warm / ruff warm | {ratio(ld_warm.wall, ruff_warm.wall)} | "
            f"{ratio(ld_warm.cpu, ruff_warm.cpu)} | <= 5x |",
            f"| one changed / ruff warm | {ratio(ld_one.wall, ruff_warm.wall)} | "
            f"{ratio(ld_one.cpu, ruff_warm.cpu)} | <= 10x |",
            "",
        ]
    )


if __name__ == "__main__":
    main()
