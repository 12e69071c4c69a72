"""Hostile trees: what real checkouts contain that a linter must survive, through the CLI.

Every case puts one hostile thing next to an ordinary test module with a known finding and
checks three things: the documented exit code (0 clean, 1 findings or file errors, 2 usage or
internal error), a one-line reason in ``errors`` or an ``LD001`` finding for the hostile file,
and that the ordinary module was still checked in the same run. A hang is a failure: in-process
runs are bounded by an alarm and subprocess runs by a timeout. (test_cli.py covers the first
bad-input shapes: binary, latin-1 with and without cookie, a syntax error, 100,000 ``+``.)
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _alarm import time_limit
from click.testing import CliRunner

from loopdoctor.cli import cli

#: An ordinary module with exactly one finding (LD301 at 7:5) in strict mode with the marker.
GOOD = (
    "import asyncio\nimport pytest\n\n\n@pytest.mark.asyncio\nasync def test_ok():\n"
    "    asyncio.sleep(0)\n"
)
GOOD_FINDING = ("tests/test_good.py", "LD301", 7, 5)
INI = "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project with pytest.ini and one ordinary test module; the cwd for the CLI."""
    (tmp_path / "pytest.ini").write_text(INI, encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_good.py").write_text(GOOD, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check(*args: str, seconds: float = 60) -> tuple[int, dict, str]:
    """Run ``loopdoctor check --output-format json ARGS`` in-process: (exit code, JSON, stderr)."""
    with time_limit(seconds):
        result = CliRunner().invoke(cli, ["check", "--output-format", "json", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    data = json.loads(result.stdout) if result.stdout.strip() else {}
    return result.exit_code, data, result.stderr


def check_subprocess(root: Path, *args: str, seconds: float = 60) -> tuple[int, dict, str]:
    """The same in a child process, for cases where a hang would block the reading thread."""
    proc = subprocess.run(
        [sys.executable, "-m", "loopdoctor", "check", "--output-format", "json", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=seconds,
    )
    data = json.loads(proc.stdout) if proc.stdout.strip() else {}
    return proc.returncode, data, proc.stderr


def errors_of(data: dict) -> dict[str, str]:
    return {e["path"]: e["message"] for e in data["errors"]}


def findings_of(data: dict) -> set[tuple[str, str, int, int]]:
    return {(f["path"], f["code"], f["line"], f["column"]) for f in data["findings"]}


def assert_good_checked(data: dict) -> None:
    """The ordinary module was checked in the same run, with its finding where it belongs."""
    assert GOOD_FINDING in findings_of(data), data["findings"]


def assert_one_line_reasons(data: dict) -> None:
    for message in errors_of(data).values():
        assert message and "\n" not in message and len(message) < 300, message
        assert "internal error" not in message, message


def write_bytes(root: Path, rel: str, data: bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# ----------------------------------------------------------------------------- the file system


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_loops_terminate(tree: Path) -> None:
    """A dir symlinked to its parent and to itself: every real file once, no endless walk."""
    (tree / "tests" / "up").symlink_to("..", target_is_directory=True)
    (tree / "tests" / "self").symlink_to(".", target_is_directory=True)
    (tree / "tests" / "sub").mkdir()
    (tree / "tests" / "sub" / "root").symlink_to(tree, target_is_directory=True)
    code, data, _ = check_subprocess(tree, ".", seconds=60)
    assert code == 1
    assert data["stats"]["files"] == 1  # tests/test_good.py, not once per loop spelling
    assert_good_checked(data)
    assert data["errors"] == []


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_loop_in_a_clean_tree_exits_zero(tree: Path) -> None:
    (tree / "tests" / "test_good.py").write_text("def test_x():\n    pass\n", encoding="utf-8")
    (tree / "tests" / "up").symlink_to("..", target_is_directory=True)
    code, data, _ = check_subprocess(tree, ".", seconds=60)
    assert code == 0 and data["findings"] == [] and data["errors"] == []


def test_unreadable_file_and_folder(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Permission errors on a file and on a folder: two reasons, the rest is checked.

    The suite may run as root, where chmod does not stop reads, so the read paths are made
    to fail the way the kernel would (PermissionError from os.scandir and from reading).
    """
    import loopdoctor.discovery as discovery

    write_bytes(tree, "tests/test_secret.py", b"x = 1\n")
    write_bytes(tree, "tests/locked/test_inner.py", b"x = 1\n")
    secret = str(tree / "tests" / "test_secret.py")
    locked = str(tree / "tests" / "locked")
    real_scandir, real_open = os.scandir, Path.read_bytes

    def fake_scandir(path: str | os.PathLike[str]) -> object:
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real_scandir(path)

    def fake_read_bytes(self: Path) -> bytes:
        if str(self) == secret:
            raise PermissionError(13, "Permission denied", secret)
        return real_open(self)

    monkeypatch.setattr(discovery.os, "scandir", fake_scandir)
    monkeypatch.setattr(Path, "read_bytes", fake_read_bytes)
    code, data, _ = check()
    errors = errors_of(data)
    assert errors["tests/locked"] == "permission denied"
    assert errors["tests/test_secret.py"] == "permission denied"
    assert_one_line_reasons(data)
    assert_good_checked(data)
    assert code == 1


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_unreadable_file_and_folder_for_real(tree: Path) -> None:
    secret = write_bytes(tree, "tests/test_secret.py", b"x = 1\n")
    locked = tree / "tests" / "locked"
    write_bytes(tree, "tests/locked/test_inner.py", b"x = 1\n")
    secret.chmod(0)
    locked.chmod(0)
    try:
        code, data, _ = check()
    finally:
        locked.chmod(0o755)
        secret.chmod(0o644)
    assert "permission denied" in errors_of(data)["tests/test_secret.py"]
    assert "permission denied" in errors_of(data)["tests/locked"]
    assert_good_checked(data)
    assert code == 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs fifos")
def test_fifo_and_socket_in_the_tree_do_not_hang(tree: Path) -> None:
    """A walked fifo or socket named *.py is skipped; given explicitly it is an error."""
    os.mkfifo(tree / "tests" / "test_fifo.py")
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(tree / "tests" / "test_sock.py"))
        code, data, _ = check_subprocess(tree, ".", seconds=60)
        assert code == 1 and data["errors"] == []
        assert_good_checked(data)
        code, data, _ = check_subprocess(
            tree, "tests/test_fifo.py", "tests/test_sock.py", "tests/test_good.py", seconds=60
        )
    finally:
        sock.close()
    errors = errors_of(data)
    assert errors["tests/test_fifo.py"] == "not a regular file (fifo, socket or device)"
    assert errors["tests/test_sock.py"] == "not a regular file (fifo, socket or device)"
    assert_good_checked(data)
    assert code == 1


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_device_path_is_refused_not_read(tree: Path) -> None:
    """/dev/zero never ends: reading it would hang and eat memory."""
    code, data, _ = check_subprocess(tree, "/dev/zero", "tests/test_good.py", seconds=60)
    assert "not a regular file" in errors_of(data)["/dev/zero"]
    assert_good_checked(data)
    assert code == 1


def test_directory_named_like_a_module_is_walked(tree: Path) -> None:
    write_bytes(tree, "tests/x.py/test_inner.py", GOOD.encode())
    code, data, _ = check("tests/x.py", "tests/test_good.py")
    assert ("tests/x.py/test_inner.py", "LD301", 7, 5) in findings_of(data)
    assert_good_checked(data)
    assert data["errors"] == [] and code == 1


def test_same_path_given_twice_is_checked_once(tree: Path) -> None:
    code, data, _ = check("tests/test_good.py", "tests/test_good.py", "tests", "./tests/")
    assert data["stats"]["files"] == 1
    assert [f["code"] for f in data["findings"]] == ["LD301"]
    assert code == 1


def test_missing_path_is_a_usage_error_even_next_to_good_ones(tree: Path) -> None:
    code, data, err = check("tests/test_good.py", "tests/nope.py")
    assert code == 2
    assert err.strip().splitlines() == [
        f"loopdoctor: error: {tree / 'tests' / 'nope.py'}: no such file or directory"
    ]
    assert data == {}


def test_file_vanishing_after_discovery(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Deleted between the walk and the read (an editor's temp file, a concurrent checkout)."""
    import loopdoctor.discovery as discovery

    gone = write_bytes(tree, "tests/test_gone.py", b"x = 1\n")
    real_discover = discovery.discover

    def discover_then_delete(*args: object, **kwargs: object) -> discovery.Discovered:
        found = real_discover(*args, **kwargs)  # type: ignore[arg-type]
        assert gone in found.files
        gone.unlink()
        return found

    monkeypatch.setattr(discovery, "discover", discover_then_delete)
    code, data, _ = check(".")
    assert errors_of(data)["tests/test_gone.py"] == "file not found"
    assert_good_checked(data)
    assert code == 1


# ----------------------------------------------------------------------------- file contents


#: The 10 MB case takes minutes (2-core machine: 160 s alone, 300 s next to other suites), so
#: the normal suite runs the same shape at 0.3 MB; LOOPDOCTOR_SLOW_TESTS=1 adds the full size.
SIZES_MB = [0.3, 10.0] if os.environ.get("LOOPDOCTOR_SLOW_TESTS") else [0.3]


@pytest.mark.slow
@pytest.mark.parametrize("megabytes", SIZES_MB)
def test_ten_megabyte_file_of_small_functions(tree: Path, megabytes: float) -> None:
    """10 MB of helpers, coroutines, fixtures and tests: finishes, finds what it should.

    Before the fixture layers were memoised this was quadratic: 1 MB took 184 s, 10 MB did not
    finish in 10 minutes. Now 1 MB takes ~14 s and 10 MB ~160 s (1.5 GB peak RSS).
    """
    parts = ["import asyncio\nimport pytest\n\n"]
    size, i = 0, 0
    while size < megabytes * 1024 * 1024:
        kind = i % 4
        if kind == 0:
            part = f"def helper_{i}(x):\n    return x + {i}\n\n\n"
        elif kind == 1:
            part = f"async def coro_{i}(x):\n    await asyncio.sleep(0)\n    return x\n\n\n"
        elif kind == 2:
            part = f"@pytest.fixture\ndef fixture_{i}():\n    return {i}\n\n\n"
        else:
            part = (
                f"@pytest.mark.asyncio\nasync def test_{i}(fixture_{i - 1}):\n"
                f"    coro_{i - 2}(1)\n\n\n"
            )
        parts.append(part)
        size += len(part)
        i += 1
    big = write_bytes(tree, "tests/test_big.py", "".join(parts).encode())
    assert big.stat().st_size >= megabytes * 1024 * 1024
    started = time.perf_counter()
    code, data, _ = check_subprocess(tree, ".", "--select", "LD301", seconds=60 + 60 * megabytes)
    seconds = time.perf_counter() - started
    print(f"{megabytes} MB file ({i} defs): {seconds:.1f} s")
    assert code == 1, data
    assert data["errors"] == []
    big_findings = [f for f in data["findings"] if f["path"] == "tests/test_big.py"]
    assert len(big_findings) == i // 4  # every test's unawaited coroutine call
    assert_good_checked(data)


DEEP = 10_000


@pytest.mark.parametrize(
    ("shape", "source", "expected"),
    [
        ("parens", "x = " + "(" * DEEP + "1" + ")" * DEEP + "\n", "LD001"),
        ("lists", "x = " + "[" * DEEP + "]" * DEEP + "\n", "LD001"),
        ("binop", "x = " + " + ".join(["a"] * DEEP) + "\n", "too deeply nested"),
        ("calls", "x = f" + "()" * DEEP + "\n", "too deeply nested"),
        ("call_chain", "x = client" + ".get()" * DEEP + "\n", "too deeply nested"),
        ("attributes", "x = a" + ".b" * DEEP + "\n", "too deeply nested"),
        ("not", "x = " + "not " * DEEP + "a\n", "too deeply nested"),
        ("lambda", "x = " + "lambda: " * DEEP + "1\n", "too deeply nested"),
        (
            "ifs_past_indent_limit",
            "".join(" " * i + "if x:\n" for i in range(1000)) + " " * 1000 + "pass\n",
            "LD001",
        ),
        (
            "nested_defs",
            "".join(" " * i + f"async def f{i}():\n" for i in range(1000)) + " " * 1000 + "pass\n",
            "LD001",
        ),
        ("elif_chain", "if a:\n    pass\n" + "elif a:\n    pass\n" * DEEP, "too deeply nested"),
    ],
)
def test_ten_thousand_deep_nesting(tree: Path, shape: str, source: str, expected: str) -> None:
    """Past CPython's own limits: an LD001 (its parser's refusal) or a one-line error."""
    write_bytes(tree, f"tests/test_deep_{shape}.py", source.encode())
    code, data, _ = check(".", "--select", "ALL")
    rel = f"tests/test_deep_{shape}.py"
    if expected == "LD001":
        assert any(f[0] == rel and f[1] == "LD001" for f in findings_of(data)), data
    else:
        assert expected in errors_of(data)[rel]
    assert_one_line_reasons(data)
    assert_good_checked(data)
    assert code == 1


@pytest.mark.parametrize("depth", [990, 1500])
def test_deep_but_parseable_chains_are_analysed(tree: Path, depth: int) -> None:
    """Deeper than Python's recursion limit yet parseable: rules must not overflow either."""
    chain = "client" + ".get()" * (depth // 2)
    alias = "x0 = client\n" + "".join(f"x{i} = x{i - 1}\n" for i in range(1, depth))
    union = "def helper(x: " + " | ".join(["int"] * depth) + "): pass\n"
    source = (
        "import pytest\n\n@pytest.fixture\nasync def client():\n    yield " + chain + "\n\n"
        "@pytest.mark.asyncio\nasync def test_a(client):\n    assert "
        + chain
        + "\n"
        + alias
        + union
    )
    write_bytes(tree, "tests/test_chain.py", source.encode())
    code, data, _ = check(".", "--select", "ALL", seconds=120)
    assert_one_line_reasons(data)
    assert "tests/test_chain.py" not in errors_of(data)
    assert_good_checked(data)
    assert code == 1


def test_nul_bytes(tree: Path) -> None:
    write_bytes(tree, "tests/test_nul.py", b"import pytest\nx = 1\x00\n")
    write_bytes(tree, "tests/test_utf16.py", "x = 1\n".encode("utf-16"))
    code, data, _ = check(".")
    errors = errors_of(data)
    assert "NUL" in errors["tests/test_nul.py"] and "NUL" in errors["tests/test_utf16.py"]
    assert_good_checked(data)
    assert code == 1


BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize(
    ("header", "outcome"),
    [
        (b"", "checked"),
        (b"# -*- coding: utf-8 -*-\n", "checked"),
        (b"#!/usr/bin/env python\n# coding: UTF-8\n", "checked"),
        (b"# coding: latin-1\n", "UTF-8 BOM contradicts"),
        (b"# vim: set fileencoding=cp1252 :\n", "UTF-8 BOM contradicts"),
        (b"# coding: utf8\n", "UTF-8 BOM contradicts"),  # CPython refuses this spelling too
    ],
)
def test_bom_with_coding_cookies(tree: Path, header: bytes, outcome: str) -> None:
    """A BOM is stripped before columns are counted; a contradicting cookie is an error."""
    body = GOOD.encode()
    write_bytes(tree, "tests/test_bom.py", BOM + header + body)
    code, data, _ = check(".")
    if outcome == "checked":
        line = GOOD_FINDING[2] + header.count(b"\n")
        assert ("tests/test_bom.py", "LD301", line, 5) in findings_of(data)
        assert "tests/test_bom.py" not in errors_of(data)
    else:
        assert outcome in errors_of(data)["tests/test_bom.py"]
    assert_one_line_reasons(data)
    assert_good_checked(data)
    assert code == 1


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"], ids=["lf", "crlf", "cr"])
def test_line_endings_keep_lines_and_columns(tree: Path, newline: bytes) -> None:
    """CRLF and lone CR: same lines and (character) columns as LF, after a non-ASCII string."""
    source = (
        "import asyncio\nimport pytest\n\n@pytest.mark.asyncio\n"
        'async def test_ok():\n    s = "é—"; asyncio.sleep(0)\n'
    )
    write_bytes(tree, "tests/test_eol.py", source.encode().replace(b"\n", newline))
    code, data, _ = check(".")
    found = [f for f in data["findings"] if f["path"] == "tests/test_eol.py"]
    assert [(f["line"], f["column"], f["end_line"], f["end_column"]) for f in found] == [
        (6, 15, 6, 31)
    ]
    assert_good_checked(data)
    assert code == 1


@pytest.mark.parametrize(
    "source",
    [
        b"def f():\n\tif x:\n        pass\n",
        b"def f():\n        if x:\n\t    pass\n",
        b"async def test_a():\n    x = 1\n\tawait y\n",
    ],
    ids=["tab-then-spaces", "spaces-then-tab", "tab-after-spaces-block"],
)
def test_mixed_tabs_and_spaces_is_ld001(tree: Path, source: bytes) -> None:
    write_bytes(tree, "tests/test_tabs.py", source)
    code, data, _ = check(".")
    ld001 = [f for f in data["findings"] if f["path"] == "tests/test_tabs.py"]
    assert [f["code"] for f in ld001] == ["LD001"]
    assert "tab" in ld001[0]["message"] or "indent" in ld001[0]["message"]
    assert_good_checked(data)
    assert code == 1


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'x = "\xe9t\xe9"\n', "cannot decode as utf-8 (byte 0xe9 on line 1)"),
        (b'# a\n\n# b\nx = "\xff"\n', "cannot decode as utf-8 (byte 0xff on line 4)"),
        (b'# -*- coding: ascii -*-\nx = "\xff"\n', "cannot decode as ascii"),
        (b"# coding: no-such-codec\nx = 1\n", "unknown encoding: no-such-codec"),
        (b'# -*- coding: latin-1 -*-\nx = "\xe9t\xe9"\n', None),
        (b'# -*- coding: cp1252 -*-\nx = "\x80"\n', None),
        (b"# coding: euc-jp\nx = '\xa4\xa2'\n", None),
    ],
)
def test_non_utf8_with_and_without_cookie(tree: Path, data: bytes, expected: str | None) -> None:
    write_bytes(tree, "tests/test_enc.py", data)
    code, result, _ = check(".")
    errors = errors_of(result)
    if expected is None:
        assert "tests/test_enc.py" not in errors
    else:
        assert expected in errors["tests/test_enc.py"]
    assert_one_line_reasons(result)
    assert_good_checked(result)
    assert code == 1


@pytest.mark.parametrize(
    "data", [b"", b"\n", b"   \n\t\n", BOM, b"# only a comment", b"\\\n"], ids=repr
)
def test_empty_and_nearly_empty_files(tree: Path, data: bytes) -> None:
    """Nothing to check is not an error (a lone backslash is CPython's syntax error)."""
    write_bytes(tree, "tests/__init__.py", data)
    write_bytes(tree, "tests/test_empty.py", data)
    code, result, _ = check(".")
    assert result["errors"] == []
    if data == b"\\\n":
        assert ("tests/test_empty.py", "LD001") in {(f[0], f[1]) for f in findings_of(result)}
    else:
        assert {f["path"] for f in result["findings"]} == {"tests/test_good.py"}
    assert result["stats"]["files"] == 3
    assert_good_checked(result)
    assert code == 1


def test_clean_tree_with_hostile_neighbours_skipped_exits_zero(tree: Path) -> None:
    """Nothing but empty files and a walked fifo: exit 0, not 1."""
    (tree / "tests" / "test_good.py").write_text("", encoding="utf-8")
    write_bytes(tree, "tests/test_empty.py", b"")
    if hasattr(os, "mkfifo"):
        os.mkfifo(tree / "tests" / "test_fifo.py")
    code, data, _ = check_subprocess(tree, ".", seconds=60)
    assert (code, data["findings"], data["errors"]) == (0, [], [])
