"""Minimised programs the fuzzer (tests/test_fuzz.py, benchmarks/fuzz.py) and the hostile-tree
cases broke the checker with, one test each, so the fixes stay fixed.

Each ran into an "internal error" (the file lost, exit 2), a hang, or minutes of work before
its fix; each must now give ordinary findings or a one-line file error, quickly.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from _alarm import time_limit

from loopdoctor.engine import Checker, CheckResult
from loopdoctor.selection import Selection
from loopdoctor.source import UnreadableSource, read_source
from loopdoctor.testing import pinned_versions_only


def check_source(root: Path, source: str, name: str = "tests/test_case.py") -> CheckResult:
    """Check one module with every rule, as a test module of a strict-mode project."""
    (root / "pytest.ini").write_text("[pytest]\nasyncio_mode = strict\n", encoding="utf-8")
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    checker = Checker(Selection(select=("ALL",), root=root), version_for=pinned_versions_only)
    with time_limit(60):
        result = checker.check([path])
    for error in result.errors:
        assert "internal error" not in error.reason, error.reason
    return result


# -- crash: OSError ENAMETOOLONG in the project index (LD502, LD304 at pathlib.stat) -----------


def test_dotted_name_too_long_for_the_filesystem(tmp_path: Path) -> None:
    """``aaa…(300).b()``: resolving it stat()ed ``aaa….py``, which raised ENAMETOOLONG."""
    source = "import pytest\n\n@pytest.fixture\nasync def engine():\n    yield " + "a" * 300
    source += ".b.create_async_engine()\n"
    result = check_source(tmp_path, source)
    assert result.errors == []


# -- crash: RecursionError in type inference (LD203, LD301, LD304, LD503 at types.py) ---------


def test_long_method_call_chain(tmp_path: Path) -> None:
    """``client.get().get()…`` 700 links: receiver types recursed once per link (and took
    > 20 s unwinding RecursionErrors in every rule that asked)."""
    chain = "client" + ".get()" * 700
    source = (
        "import pytest\n\n@pytest.fixture\nasync def client():\n    yield " + chain + "\n\n"
        "@pytest.mark.asyncio\nasync def test_a(client):\n    assert " + chain + "\n"
    )
    started = time.perf_counter()
    result = check_source(tmp_path, source)
    assert result.errors == []
    assert time.perf_counter() - started < 30


def test_long_alias_chain(tmp_path: Path) -> None:
    """``x1 = x0``, ``x2 = x1`` … 400 module-level aliases of an AsyncClient."""
    source = "import httpx\nx0 = httpx.AsyncClient()\n"
    source += "".join(f"x{i} = x{i - 1}\n" for i in range(1, 400))
    source += "async def test_a():\n    x399.get('/')\n"
    assert check_source(tmp_path, source).errors == []


def test_long_union_annotation(tmp_path: Path) -> None:
    """A fixture parameter annotated ``int | int | …`` 600 times."""
    source = "import pytest\n\n@pytest.fixture\ndef client(x: " + " | ".join(["int"] * 600)
    source += "):\n    return x\n\ndef test_a(client):\n    assert client\n"
    assert check_source(tmp_path, source).errors == []


def test_long_chain_of_returning_functions(tmp_path: Path) -> None:
    """``f299()`` returns ``f298()`` … returns an AsyncClient: the return types recursed."""
    source = "import httpx\ndef f0():\n    return httpx.AsyncClient()\n"
    source += "".join(f"def f{i}():\n    return f{i - 1}()\n" for i in range(1, 300))
    source += "async def test_a():\n    f299().get('/')\n"
    assert check_source(tmp_path, source).errors == []


def test_shallow_inference_is_unchanged_by_the_depth_bound(tmp_path: Path) -> None:
    """The bound only cuts pathological depth: a short alias chain still finds the client."""
    source = "import httpx\nx0 = httpx.AsyncClient()\nx1 = x0\nx2 = x1\n\n"
    source += "async def test_a():\n    x2.get('/')\n"
    result = check_source(tmp_path, source)
    assert [f.code for f in result.findings if f.code == "LD301"] == ["LD301"]


# -- hang: a fifo or device read to the end -------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs fifos")
def test_fifo_is_refused_before_reading(tmp_path: Path) -> None:
    """An explicit ``test_x.py`` fifo blocked ``read_bytes`` forever (no writer)."""
    fifo = tmp_path / "test_fifo.py"
    os.mkfifo(fifo)
    with time_limit(10), pytest.raises(UnreadableSource, match="not a regular file"):
        read_source(fifo)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_endless_device_is_refused_before_reading() -> None:
    """``/dev/zero`` reports size 0, passed the size guard and was read until memory ran out."""
    with time_limit(10), pytest.raises(UnreadableSource, match="not a regular file"):
        read_source(Path("/dev/zero"))


# -- minutes: fixture layers rebuilt for every test (quadratic in a big file) ------------------


def test_fixture_layers_are_built_once_per_module(tmp_path: Path) -> None:
    """Every closure rebuilt the module's whole fixture dict: 1 MB of tests took 184 s."""
    count = 1500
    source = "import pytest\n\n"
    for i in range(count):
        source += f"@pytest.fixture\ndef fix_{i}():\n    return {i}\n\n"
        source += f"def test_{i}(fix_{i}):\n    assert fix_{i}\n\n"
    started = time.perf_counter()
    result = check_source(tmp_path, source)
    seconds = time.perf_counter() - started
    assert result.errors == []
    project = result.project
    assert project is not None
    module = project.module(tmp_path / "tests" / "test_case.py")  # the base index is lazy
    assert module is not None
    first = project.fixture_layers(module)
    assert all(a is b for a, b in zip(first, project.fixture_layers(module), strict=True))
    assert seconds < 45, f"{count} tests and fixtures took {seconds:.1f} s"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs fifos")
def test_checker_given_a_fifo_or_device_directly(tmp_path: Path) -> None:
    """In-process callers skip discovery: the engine re-read an unreadable path for its cache
    digest, so a fifo blocked and ``/dev/zero`` was read until memory ran out."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    fifo = tmp_path / "test_fifo.py"
    os.mkfifo(fifo)
    paths = [fifo, *([Path("/dev/zero")] if Path("/dev/zero").exists() else [])]
    checker = Checker(Selection(select=("ALL",), root=tmp_path))
    with time_limit(20):
        result = checker.check(paths)
    assert {e.path: e.reason for e in result.errors} == {
        p: "not a regular file (fifo, socket or device); skipped" for p in paths
    }


def test_module_level_call_chain_inside_create_task(tmp_path: Path) -> None:
    """``asyncio.create_task(eng.get().get()…)`` at module level: LD301 walked every ancestor
    of every call looking for ``pytest.raises`` (calls x depth: over a minute at 2,900)."""
    source = "import asyncio\n\nasyncio.create_task(eng" + ".get()" * 900 + ")\n"
    source += "with pytest.raises(ValueError):\n    asyncio.sleep(1)\n"
    started = time.perf_counter()
    result = check_source(tmp_path, source)
    assert result.errors == []
    assert time.perf_counter() - started < 30
    # the expectation context is still honoured after memoising the walk
    assert not [f for f in result.findings if f.code == "LD301" and f.location.line == 5]
