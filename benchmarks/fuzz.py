"""Long fuzz run of the analyser: the properties of tests/test_fuzz.py, for minutes instead of 1.

Usage::

    python benchmarks/fuzz.py --seconds 600            # all kinds, time split evenly
    python benchmarks/fuzz.py --kinds ast,bytes --seconds 120 --seed 7 --out /tmp/crashes

Unlike the test (which stops at the first failure and shrinks it), this keeps going: every
failing program is recorded, grouped by a crash signature (exception type and where it was
raised, or the internal-error message without its details), and the first program of each
group is saved under ``--out`` for minimising. Prints one summary line per kind and a total:
programs checked, seconds, programs per second, distinct crashes. Exit 1 when any crash.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import test_fuzz as tf  # noqa: E402
from hypothesis import HealthCheck, Phase, Verbosity, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


class OutOfTime(BaseException):
    """Stops one kind's generation loop when its time budget is spent."""


@dataclass
class Tally:
    """Programs checked and crashes seen for one kind of input."""

    kind: str
    programs: int = 0
    seconds: float = 0.0
    findings: int = 0
    ld001: int = 0
    file_errors: int = 0
    crashes: Counter[str] = field(default_factory=Counter)
    samples: dict[str, bytes] = field(default_factory=dict)


def signature(exc: BaseException) -> str:
    """Group crashes by what failed and where, not by the program that triggered it."""
    if isinstance(exc, tf.Hang):
        return "hang"
    text = str(exc).splitlines()[0] if str(exc) else ""
    match = re.search(r"internal error in (\w+): (\w+).* at (\S+:\d+)", text)
    if match:
        return f"internal error {match[1]} {match[2]} at {match[3]}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "loopdoctor" in f.filename]
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    if isinstance(exc, AssertionError):
        return f"contract: {re.sub(r'[0-9]+', 'N', text)[:120]}"
    return f"{type(exc).__name__} at {where}"


def run_kind(
    kind: str, strategy: st.SearchStrategy, check: Callable, budget: float, seed: int | None
) -> Tally:
    """Generate and check programs of one kind until ``budget`` seconds are spent."""
    tally = Tally(kind)
    started = time.perf_counter()

    @settings(
        max_examples=10**9,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        verbosity=Verbosity.quiet,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def body(case: tuple) -> None:
        if time.perf_counter() - started > budget:
            raise OutOfTime
        tally.programs += 1
        try:
            outcome = check(*case)
        except (Exception, tf.Hang) as exc:
            sig = signature(exc)
            tally.crashes[sig] += 1
            tally.samples.setdefault(sig, case_bytes(case))
            return
        tally.findings += len(outcome.findings)
        tally.ld001 += sum(f.code == "LD001" for f in outcome.findings)
        tally.file_errors += len(outcome.errors)

    if seed is not None:
        from hypothesis import seed as hseed

        body = hseed(seed)(body)
    with contextlib.suppress(OutOfTime):
        body()
    tally.seconds = time.perf_counter() - started
    return tally


def case_bytes(case: tuple) -> bytes:
    for item in case:
        if isinstance(item, bytes):
            return item
    return repr(case).encode()


KINDS: dict[str, tuple[st.SearchStrategy, Callable]] = {
    "grammar": (st.tuples(tf.grammar_programs, tf.config_kinds), tf.check_program),
    "node": (st.tuples(tf.node_programs, tf.config_kinds), tf.check_program),
    "bytes": (st.tuples(tf.byte_mutants(), tf.config_kinds), tf.check_program),
    "ast": (st.tuples(tf.ast_mutants(), tf.config_kinds), tf.check_program),
    "deep": (st.tuples(tf.deep_mutants(), tf.config_kinds), tf.check_program),
    "project": (tf.project_mutants(), tf.check_project_mutant),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="total time budget")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated kinds")
    parser.add_argument("--seed", type=int, default=None, help="hypothesis seed (reproducible)")
    parser.add_argument("--out", type=Path, default=None, help="save one program per crash here")
    parser.add_argument("--json", action="store_true", help="print the tallies as JSON")
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    budget = args.seconds / len(kinds)
    tallies: list[Tally] = []
    for kind in kinds:
        strategy, check = KINDS[kind]
        tally = run_kind(kind, strategy, check, budget, args.seed)
        tallies.append(tally)
        rate = tally.programs / tally.seconds if tally.seconds else 0.0
        print(
            f"{kind:<8} {tally.programs:>6} programs in {tally.seconds:6.1f} s "
            f"({rate:5.1f}/s), {tally.findings} findings, {tally.ld001} LD001, "
            f"{tally.file_errors} file errors, {len(tally.crashes)} distinct crashes",
            flush=True,
        )
        for sig, count in tally.crashes.most_common():
            print(f"    {count:>5}x {sig}", flush=True)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        for tally in tallies:
            for i, (sig, data) in enumerate(tally.samples.items()):
                (args.out / f"{tally.kind}-{i}.py").write_bytes(data)
                (args.out / f"{tally.kind}-{i}.txt").write_text(sig + "\n", encoding="utf-8")
    total = sum(t.programs for t in tallies)
    seconds = sum(t.seconds for t in tallies)
    crashes = {sig for t in tallies for sig in t.crashes}
    print(f"total    {total:>6} programs in {seconds:6.1f} s, {len(crashes)} distinct crashes")
    if args.json:
        print(
            json.dumps(
                {
                    "programs": total,
                    "seconds": round(seconds, 1),
                    "crashes": sorted(crashes),
                    "kinds": {
                        t.kind: {"programs": t.programs, "seconds": round(t.seconds, 1)}
                        for t in tallies
                    },
                }
            )
        )
    tf.remove_scratch()
    return 1 if crashes else 0


if __name__ == "__main__":
    raise SystemExit(main())
