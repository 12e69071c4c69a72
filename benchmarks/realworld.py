"""Check the async test suites of published packages and score the findings against a review.

Run by hand (it downloads source distributions from the package index)::

    .venv/bin/python benchmarks/realworld.py            # download, unpack, check, score
    .venv/bin/python benchmarks/realworld.py --offline  # reuse what is already unpacked
    .venv/bin/python benchmarks/realworld.py --unreviewed  # also list findings not yet reviewed

Each pinned package is fetched with ``pip download --no-deps --no-binary :all:``, unpacked
under ``--work`` (default ``/tmp/realworld``), and its test directory is checked together
with its source directory (so imports of the package under test resolve) with
``loopdoctor check --output-format json --select ALL``. The script prints the count of
findings per package and rule, then compares every finding with ``docs/realworld-review.json``
(key ``package|path|line|code`` -> verdict ``tp``/``fp`` and a one-line reason; an entry may
add ``by_message``, a list of ``{contains, verdict, reason}`` for a finding whose message
changed between versions) and prints the precision per rule, tp / (tp + fp). ``--score FILE``
scores a file saved earlier with ``--json`` instead of checking again (e.g. an older commit's
findings). Nothing of the packages is ever committed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REVIEW = ROOT / "docs" / "realworld-review.json"
LOOPDOCTOR = [sys.executable, "-m", "loopdoctor"]
CHECK_ARGS = ["check", "--output-format", "json", "--select", "ALL", "--exit-zero", "--no-color"]
PIP_DOWNLOAD = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]


@dataclass(frozen=True)
class Package:
    """One pinned source distribution and the paths (relative to its root) to check."""

    name: str
    version: str
    paths: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.name}=={self.version}"


#: The pinned corpus: test directory first, then the source the tests import.
PACKAGES: tuple[Package, ...] = (
    Package("aiocache", "0.12.3", ("tests", "aiocache")),
    Package("aiofiles", "25.1.0", ("tests", "src/aiofiles")),
    Package("aiohttp-jinja2", "1.6", ("tests", "aiohttp_jinja2")),
    Package("aiolimiter", "1.3.0", ("tests", "src/aiolimiter")),
    Package("aiomysql", "0.3.2", ("tests", "aiomysql")),
    Package("aiosqlite", "0.22.1", ("aiosqlite",)),
    Package("aiostream", "0.8.1", ("tests", "aiostream")),
    Package("anyio", "4.16.0", ("tests", "src/anyio")),
    Package("arq", "0.28.0", ("tests", "arq")),
    Package("asgi-lifespan", "2.1.0", ("tests", "src/asgi_lifespan")),
    Package("asgiref", "3.13.0", ("tests", "asgiref")),
    Package("databases", "0.9.0", ("tests", "databases")),
    Package("fakeredis", "2.40.0", ("test", "fakeredis")),
    Package("fastapi", "0.165.0", ("tests", "fastapi", "docs_src")),
    Package("fastapi-pagination", "0.16.1", ("tests", "fastapi_pagination")),
    Package("fastapi-users", "15.0.5", ("tests", "fastapi_users")),
    Package("fastapi-users-db-sqlalchemy", "7.0.0", ("tests", "fastapi_users_db_sqlalchemy")),
    Package("httpcore", "1.0.9", ("tests", "httpcore")),
    Package("httpx", "0.28.1", ("tests", "httpx")),
    Package("httpx-oauth", "0.17.0", ("tests", "httpx_oauth")),
    Package("httpx-ws", "0.9.0", ("tests", "httpx_ws")),
    Package("janus", "2.0.0", ("tests", "janus")),
    Package("ormar", "0.26.0", ("tests", "ormar")),
    Package("pytest-asyncio", "1.5.0", ("tests", "pytest_asyncio")),
    Package("pytest-aiohttp", "1.1.1", ("tests", "pytest_aiohttp")),
    Package("pytest-httpx", "0.36.2", ("tests", "pytest_httpx")),
    Package("sqlmodel", "0.0.50", ("tests", "sqlmodel", "docs_src")),
    Package("sse-starlette", "3.7.0", ("tests", "sse_starlette")),
    Package("starlette", "1.10.0", ("tests", "starlette")),
    Package("tortoise-orm", "1.1.9", ("tests", "tortoise")),
    Package("uvicorn", "0.54.0", ("tests", "uvicorn")),
)


def _normal(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def find_sdist(dl: Path, pkg: Package) -> Path | None:
    """The downloaded sdist of ``pkg`` in ``dl``, whatever separator its file name uses."""
    for path in dl.glob("*.tar.gz"):
        stem = path.name[: -len(".tar.gz")]
        name, _, version = stem.rpartition("-")
        if _normal(name) == _normal(pkg.name) and version == pkg.version:
            return path
    return None


def fetch(pkg: Package, work: Path, offline: bool) -> Path:
    """Download (unless offline) and unpack ``pkg``; return its unpacked root."""
    dl = work / "dl"
    src = work / "src"
    dl.mkdir(parents=True, exist_ok=True)
    src.mkdir(parents=True, exist_ok=True)
    sdist = find_sdist(dl, pkg)
    if sdist is None:
        if offline:
            raise SystemExit(f"{pkg.key}: not downloaded and --offline given")
        subprocess.run(
            [*PIP_DOWNLOAD, pkg.key, "-d", str(dl)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        sdist = find_sdist(dl, pkg)
        if sdist is None:
            raise SystemExit(f"{pkg.key}: pip saved no matching sdist in {dl}")
    root = src / sdist.name[: -len(".tar.gz")]
    if not root.is_dir():
        with tarfile.open(sdist) as tar:
            tar.extractall(src, filter="data")
    return root


def check(pkg: Package, root: Path) -> list[dict[str, object]]:
    """Run loopdoctor on the package's paths from its root; return the JSON findings."""
    paths = [p for p in pkg.paths if (root / p).exists()]
    proc = subprocess.run(
        [*LOOPDOCTOR, *CHECK_ARGS, *paths],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{pkg.key}: loopdoctor failed ({proc.returncode}):\n{proc.stderr}")
    doc = json.loads(proc.stdout)
    for error in doc.get("errors", []):
        print(f"  {pkg.key}: error: {error}", file=sys.stderr)
    findings: list[dict[str, object]] = doc["findings"]
    for finding in findings:
        path = Path(str(finding["path"]))
        if path.is_absolute():
            finding["path"] = path.relative_to(root).as_posix()
    return findings


def finding_key(package: str, finding: dict[str, object]) -> str:
    """The review key of a finding: ``package|relative path|line|code``."""
    return f"{package}|{finding['path']}|{finding['line']}|{finding['code']}"


def load_review(path: Path = REVIEW) -> dict[str, dict[str, object]]:
    """The committed verdicts, keyed by :func:`finding_key`."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    return dict(doc["findings"])


def verdict_of(entry: dict[str, object], message: str) -> str:
    """The entry's verdict, or the first ``by_message`` one whose text is in ``message``."""
    for alt in entry.get("by_message", []):  # type: ignore[union-attr]
        if isinstance(alt, dict) and str(alt.get("contains")) in message:
            return str(alt.get("verdict"))
    return str(entry.get("verdict", "unreviewed"))


def score(
    results: dict[str, list[dict[str, object]]], review: dict[str, dict[str, object]]
) -> tuple[dict[str, Counter[str]], list[str]]:
    """Per rule: counts of tp / fp / unreviewed; and the keys of unreviewed findings."""
    per_rule: dict[str, Counter[str]] = defaultdict(Counter)
    unreviewed: list[str] = []
    for package, findings in results.items():
        for finding in findings:
            key = finding_key(package, finding)
            verdict = verdict_of(review.get(key, {}), str(finding["message"]))
            per_rule[str(finding["code"])][verdict] += 1
            if verdict == "unreviewed":
                unreviewed.append(f"{key}  {str(finding['message'])[:140]}")
    return per_rule, unreviewed


def main(argv: list[str] | None = None) -> int:
    """Download, check and score every pinned package; print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/realworld"))
    parser.add_argument("--offline", action="store_true", help="use only unpacked sdists")
    parser.add_argument("--unreviewed", action="store_true", help="list unreviewed findings")
    parser.add_argument("--json", type=Path, help="also write the raw findings here")
    parser.add_argument("--score", type=Path, help="score findings saved with --json")
    args = parser.parse_args(argv)

    results: dict[str, list[dict[str, object]]] = {}
    if args.score:
        results = json.loads(args.score.read_text(encoding="utf-8"))
    for pkg in PACKAGES:
        if not args.score:
            root = fetch(pkg, args.work, args.offline)
            results[pkg.key] = check(pkg, root)
        counts = Counter(str(f["code"]) for f in results.get(pkg.key, []))
        shown = ", ".join(f"{code} {n}" for code, n in sorted(counts.items())) or "no findings"
        print(f"{pkg.key:36} {shown}")
    if args.json and not args.score:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")

    per_rule, unreviewed = score(results, load_review())
    print(f"\n{'rule':6} {'found':>5} {'tp':>4} {'fp':>4} {'new':>4} precision")
    total: Counter[str] = Counter()
    for code in sorted(per_rule):
        c = per_rule[code]
        total.update(c)
        judged = c["tp"] + c["fp"]
        prec = f"{c['tp'] / judged:.2f}" if judged else "-"
        print(f"{code:6} {sum(c.values()):5} {c['tp']:4} {c['fp']:4} {c['unreviewed']:4} {prec}")
    judged = total["tp"] + total["fp"]
    prec = f"{total['tp'] / judged:.2f}" if judged else "-"
    print(
        f"{'all':6} {sum(total.values()):5} {total['tp']:4} {total['fp']:4} "
        f"{total['unreviewed']:4} {prec}"
    )
    if args.unreviewed and unreviewed:
        print("\nunreviewed:")
        for line in unreviewed:
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
