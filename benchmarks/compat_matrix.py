"""Compatibility matrix: the runtime doctor's tests on every supported pytest-asyncio.

One virtualenv per pytest-asyncio version (each with a pytest it can run on:
0.21.2 fails at collection on pytest 9, runtime-facts §1), the project installed
editable, then the plugin tests in strict mode, auto mode and with anyio's
pytest plugin alone. Prints a table (version x mode -> passed/failed/skipped)
and the wall time; exits 1 when any cell failed or a venv could not be built.

    python benchmarks/compat_matrix.py [--root /tmp/loopdoctor-compat] [--only 0.21.2,1.x]

Venvs are kept under --root keyed by their requirements, so a second run only
re-runs the tests; pip's cache (~/.cache/pip) is shared by all of them.
Versions run in sequence: CI has two cores and the tests use both.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# (label, pytest-asyncio requirement, pytest requirement): the newest pytest each runs on.
VERSIONS: list[tuple[str, str, str]] = [
    ("0.21.2", "pytest-asyncio==0.21.2", "pytest>=8.0,<8.4"),
    ("0.23.8", "pytest-asyncio==0.23.8", "pytest>=8.3,<8.5"),
    ("0.24.0", "pytest-asyncio==0.24.0", "pytest>=8.3,<8.5"),
    ("0.25.3", "pytest-asyncio==0.25.3", "pytest>=8.3,<8.5"),
    ("1.x", "pytest-asyncio>=1,<2", "pytest"),
]
EXTRAS = [
    "httpx",
    "sqlalchemy[asyncio]",
    "aiosqlite",
    "pytest-xdist",
    "pytest-randomly",
    "anyio",
]
PLUGIN_TESTS = [
    "tests/plugin/test_isolation.py",
    "tests/plugin/test_leak_suite.py",
    "tests/plugin/test_no_retained_refs.py",
]
EQUIVALENCE = "tests/plugin/test_outcome_equivalence.py"
# mode -> tests run in it (LOOPDOCTOR_SUITE_MODE picks the mixed suite's mode).
MODES: dict[str, list[str]] = {
    "strict": [EQUIVALENCE, *PLUGIN_TESTS],
    "auto": [EQUIVALENCE],
    "anyio": [EQUIVALENCE],
}


@dataclass
class Cell:
    """Counts of one (version, mode) run."""

    passed: int = 0
    failed: int = 0
    skipped: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    def text(self) -> str:
        return f"{self.passed}/{self.failed}/{self.skipped}"


def _run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]


def build_venv(root: Path, label: str, requirements: list[str]) -> tuple[Path | None, str]:
    """A venv with the project and these requirements; reused while they are unchanged.

    The key is the interpreter, pyproject.toml and the requirements, not the checkout's
    path, so a fresh clone (CI) reuses the venvs; the project itself is re-installed
    editable from this checkout every time (no deps: seconds).
    """
    pyproject = (REPO / "pyproject.toml").read_bytes()
    key = hashlib.sha256(
        b"\n".join([sys.version.encode(), pyproject, *(r.encode() for r in requirements)])
    ).hexdigest()[:12]
    venv = root / f"pa-{label}-{key}"
    python = venv / "bin" / "python"
    marker = venv / ".loopdoctor-compat-ok"
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    if marker.exists() and python.exists():
        again = _run([*pip, "--no-deps", "-e", str(REPO)])
        if again.returncode == 0:
            return python, "reused"
    shutil.rmtree(venv, ignore_errors=True)
    made = _run([sys.executable, "-m", "venv", str(venv)])
    if made.returncode != 0:
        return None, made.stderr[-2000:]
    installed = _run([*pip, "-e", str(REPO), *requirements])
    if installed.returncode != 0:
        return None, (installed.stdout + installed.stderr)[-3000:]
    marker.write_text("\n".join(requirements) + "\n")
    return python, "built"


def versions_of(python: Path) -> str:
    """pytest and pytest-asyncio as installed in the venv (what the row really tested)."""
    code = (
        "from importlib.metadata import version as v;"
        "print(v('pytest'), v('pytest-asyncio'), v('anyio'))"
    )
    out = _run([str(python), "-c", code])
    return out.stdout.strip() or out.stderr.strip()[-200:]


def run_cell(python: Path, mode: str, junit: Path) -> Cell:
    """The mode's tests in the venv; counts read from pytest's junit XML."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["LOOPDOCTOR_SUITE_MODE"] = mode
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    cmd = [str(python), "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"]
    cmd += [f"--junitxml={junit}", *MODES[mode]]
    start = time.perf_counter()
    proc = _run(cmd, cwd=REPO, env=env, timeout=1200)
    cell = Cell(seconds=time.perf_counter() - start)
    if not junit.exists():
        cell.failed = 1
        cell.failures.append(f"no junit XML (exit {proc.returncode}): {proc.stdout[-1500:]}")
        return cell
    for case in ET.parse(junit).getroot().iter("testcase"):
        tags = {child.tag for child in case}
        name = f"{case.get('classname')}::{case.get('name')}"
        if tags & {"failure", "error"}:
            cell.failed += 1
            detail = next(c for c in case if c.tag in ("failure", "error"))
            cell.failures.append(f"{name}: {(detail.get('message') or '')[:300]}")
        elif "skipped" in tags:
            cell.skipped += 1
        else:
            cell.passed += 1
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not cell.failed):
        cell.failed += 1
        cell.failures.append(f"pytest exit {proc.returncode}: {proc.stdout[-1500:]}")
    return cell


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="/tmp/loopdoctor-compat", type=Path)
    parser.add_argument("--only", default="", help="comma-separated labels, e.g. 0.21.2,1.x")
    args = parser.parse_args(argv)
    only = {s for s in args.only.split(",") if s}
    args.root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rows: list[tuple[str, str, dict[str, Cell]]] = []
    broken: list[str] = []
    for label, asyncio_req, pytest_req in VERSIONS:
        if only and label not in only:
            continue
        t0 = time.perf_counter()
        python, how = build_venv(args.root, label, [asyncio_req, pytest_req, *EXTRAS])
        print(
            f"[{label}] venv {how if python else 'FAILED'} in {time.perf_counter() - t0:.0f}s",
            flush=True,
        )
        if python is None:
            broken.append(f"{label}: {how}")
            rows.append((label, "venv failed", {}))
            continue
        cells: dict[str, Cell] = {}
        for mode in MODES:
            cell = run_cell(python, mode, args.root / f"junit-{label}-{mode}.xml")
            cells[mode] = cell
            print(
                f"[{label}] {mode}: {cell.text()} passed/failed/skipped ({cell.seconds:.0f}s)",
                flush=True,
            )
            for failure in cell.failures[:10]:
                print(f"    FAILED {failure}")
        rows.append((label, versions_of(python), cells))
    wall = time.perf_counter() - started
    print()
    print("pytest-asyncio | pytest, pytest-asyncio, anyio | " + " | ".join(MODES))
    print("---|---|" + "|".join("---" for _ in MODES))
    for label, installed, cells in rows:
        texts = [cells[m].text() if m in cells else "-" for m in MODES]
        print(f"{label} | {installed} | " + " | ".join(texts))
    print(f"\ncells are passed/failed/skipped; wall time {wall:.0f}s ({wall / 60:.1f} min)")
    failed = broken or any(c.failed for _l, _i, cells in rows for c in cells.values())
    for problem in broken:
        print(f"venv failed: {problem}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
