"""Fuzzing the analyser: generated, byte-mutated and AST-mutated programs never crash or hang it.

The checker promises that nothing a user's file contains can crash a run: a file either yields
findings, an ``LD001`` finding, or a one-line entry in ``errors``. Hand-written bad inputs only
cover the shapes someone thought of, so these properties throw four kinds of programs at the
in-process :class:`~loopdoctor.engine.Checker` with every rule selected:

- grammar-generated programs (hypothesmith ``from_grammar`` / ``from_node``): odd but valid syntax;
- byte mutations of the corpus (edits, insertions of nasty tokens, truncation, line shuffles):
  the tokenizer, decoder and LD001 paths;
- AST mutations of the corpus (renames, swapped decorators, deleted/duplicated/moved statements,
  async<->sync, added/removed ``await``, grafted expressions), re-unparsed: code that still looks
  like a test suite, so the rules' own logic runs on shapes they were not written for;
- project mutations: one file of a corpus project mutated in place, so the cross-file logic
  (conftest layers, fixture closures, imports loaded on demand) sees broken neighbours.

Each program is written as a test module, a conftest.py and a plain module so the test, fixture
and helper paths all run. A wall-clock guard turns a hang into a failure. The normal suite runs
a small deterministic slice; ``benchmarks/fuzz.py`` runs the same properties for a long time.
"""

from __future__ import annotations

import ast
import os
import random
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import hypothesmith
import pytest
from _alarm import time_limit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loopdoctor.diagnostic import FileError, Finding
from loopdoctor.engine import Checker, CheckResult
from loopdoctor.rules import all_rules
from loopdoctor.selection import Selection
from loopdoctor.testing import pinned_versions_only

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fixtures_corpus"

#: Corpus files as bytes, sorted so a seed always names the same file.
CORPUS_FILES: list[Path] = sorted(CORPUS.rglob("*.py"))
CORPUS_BYTES: list[bytes] = [p.read_bytes() for p in CORPUS_FILES]
#: The corpus files that parse: the seeds of AST mutation (kept as bytes and re-parsed per
#: example: ``copy.deepcopy`` of a tree recurses and can hit the limit under hypothesis).
CORPUS_SOURCES: list[bytes] = []
for _data in CORPUS_BYTES:
    with suppress(SyntaxError):
        ast.parse(_data)
        CORPUS_SOURCES.append(_data)
PROJECTS: list[Path] = sorted(p for p in (CORPUS / "projects").iterdir() if p.is_dir())

#: Every rule's byte pre-filter tokens, appended as a comment to generated programs so that
#: all rules run on them (otherwise most rules skip code that never mentions pytest).
ALL_TOKENS = sorted({t.decode() for rule in all_rules().values() for t in rule.tokens})
TOKEN_TRAILER = ("\n# " + " ".join(ALL_TOKENS) + " pytest asyncio\n").encode()

#: Seconds one example may take before it counts as a hang (three files, all rules).
EXAMPLE_TIMEOUT = float(os.environ.get("LOOPDOCTOR_FUZZ_TIMEOUT", "20"))

#: pytest.ini variants: strict and auto mode take different paths in most loop rules, and a
#: pinned pytest-asyncio 0.21 switches on the legacy ``event_loop`` logic.
ROOT_CONFIGS: dict[str, dict[str, str]] = {
    "strict": {"pytest.ini": "[pytest]\nasyncio_mode = strict\n"},
    "auto": {
        "pytest.ini": (
            "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = session\n"
        )
    },
    "legacy": {
        "pytest.ini": "[pytest]\nasyncio_mode = auto\n",
        "requirements.txt": "pytest-asyncio==0.21.1\nhttpx==0.27.0\n",
    },
}

#: Where a program is written inside a root: as a test module, a conftest and a plain module
#: the other two can import (``from helpers import ...``).
PROGRAM_PATHS = ("tests/test_fuzzed.py", "tests/conftest.py", "helpers.py")


_ROOTS: dict[str, Path] = {}


def fuzz_root(kind: str) -> Path:
    """A per-process scratch project for one config kind, created once (fast examples)."""
    root = _ROOTS.get(kind)
    if root is None:
        root = Path(tempfile.mkdtemp(prefix=f"loopdoctor-fuzz-{kind}-"))
        for rel, text in ROOT_CONFIGS[kind].items():
            (root / rel).write_text(text, encoding="utf-8")
        (root / "tests").mkdir()
        _ROOTS[kind] = root
    return root


def run_checker(files: list[Path], root: Path) -> CheckResult:
    """The checker as the CLI runs it, with every rule on (opinion rules included)."""
    selection = Selection(select=("ALL",), root=root)
    checker = Checker(selection, version_for=pinned_versions_only)
    return checker.check(files)


@dataclass
class Outcome:
    """What one fuzzed run produced, for the benchmark's tallies."""

    findings: list[Finding]
    errors: list[FileError]


def assert_well_behaved(result: CheckResult, files: list[Path]) -> Outcome:
    """The contract: no internal errors, one-line reasons, findings inside the checked files."""
    for error in result.errors:
        assert "internal error" not in error.reason, f"{error.path}: {error.reason}"
        assert error.reason and "\n" not in error.reason, repr(error.reason)
    line_counts: dict[Path, int] = {}
    for path in files:
        try:
            line_counts[path] = path.read_bytes().count(b"\n") + 1
        except OSError:
            line_counts[path] = 0
    for finding in result.findings:
        loc = finding.location
        assert finding.code in all_rules() or finding.code == "LD001", finding
        assert finding.message and "\n" not in finding.message.strip(), finding
        assert 1 <= loc.line <= loc.end_line, finding
        assert loc.column >= 1 and loc.end_column >= 1, finding
        if loc.line == loc.end_line:
            assert loc.column <= loc.end_column, finding
        limit = line_counts.get(loc.path)
        if limit:  # line counts of lone-CR files are larger than the \n count: no upper bound
            assert loc.line <= max(limit, 1) + _cr_lines(loc.path), finding
    return Outcome(list(result.findings), list(result.errors))


def _cr_lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\r")
    except OSError:
        return 0


def check_program(data: bytes, kind: str = "strict") -> Outcome:
    """Write ``data`` as a test module, a conftest and a helper module, then check all three."""
    root = fuzz_root(kind)
    files = [root / rel for rel in PROGRAM_PATHS]
    for path in files:
        path.write_bytes(data)
    with time_limit(EXAMPLE_TIMEOUT, "checker"):
        result = run_checker(files, root)
    return assert_well_behaved(result, files)


# ----------------------------------------------------------------------------- byte mutations

#: Byte strings that stress the decoder, tokenizer and the rules' pre-filters.
NASTY_BYTES: tuple[bytes, ...] = (
    b"\x00",
    b"\r",
    b"\r\n",
    b"\t",
    b"\x0c",
    b"\\",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xe9",
    b"\xc3",
    b"\xf0\x9f\x90\x8d",
    b"# -*- coding: latin-1 -*-\n",
    b"# coding: utf-16\n",
    b"# coding: nonsense\n",
    b"async ",
    b"await ",
    b"async def ",
    b"def ",
    b"@pytest.fixture\n",
    b"@pytest.mark.asyncio\n",
    b"@pytest_asyncio.fixture(scope='session', loop_scope='module')\n",
    b"yield ",
    b"return ",
    b"lambda: ",
    b"(",
    b")",
    b"[",
    b"{",
    b":",
    b"'",
    b'"""',
    b"f'{",
    b"    ",
    b"\n    ",
    b"\n",
    b"*",
    b"**",
    b"=",
    b" if ",
    b"class C:\n",
    b"event_loop",
    b"AsyncMock()",
    b"asyncio.run(",
    b"create_task(",
    b"app.dependency_overrides[",
    b"# noqa: LD301",
)


@st.composite
def byte_mutants(draw: st.DrawFn) -> bytes:
    """A corpus file with a few random byte edits, insertions, deletions, shuffles or a cut."""
    data = bytearray(draw(st.sampled_from(CORPUS_BYTES)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(
            st.sampled_from(
                ["flip", "insert", "delete", "truncate", "shuffle", "dup_line", "swap_lines"]
            )
        )
        size = len(data)
        at = draw(st.integers(0, max(size, 0)))
        if kind == "flip" and size:
            data[min(at, size - 1)] = draw(st.integers(0, 255))
        elif kind == "insert":
            piece = draw(st.sampled_from(NASTY_BYTES) | st.binary(min_size=1, max_size=4))
            data[at:at] = piece
        elif kind == "delete" and size:
            length = draw(st.integers(1, 40))
            del data[at : at + length]
        elif kind == "truncate":
            del data[at:]
        else:
            lines = bytes(data).splitlines(keepends=True)
            if len(lines) < 2:
                continue
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            if kind == "shuffle":
                rng = random.Random(draw(st.integers(0, 2**16)))
                lo, hi = min(i, j), max(i, j) + 1
                chunk = lines[lo:hi]
                rng.shuffle(chunk)
                lines[lo:hi] = chunk
            elif kind == "dup_line":
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            data = bytearray(b"".join(lines))
    return bytes(data)


# ----------------------------------------------------------------------------- AST mutations

#: Names that make rules take notice: pytest and asyncio vocabulary, fixture names, mocks.
INTERESTING_NAMES: tuple[str, ...] = (
    "pytest",
    "pytest_asyncio",
    "asyncio",
    "fixture",
    "event_loop",
    "request",
    "client",
    "app",
    "engine",
    "session",
    "AsyncMock",
    "MagicMock",
    "Mock",
    "patch",
    "mark",
    "self",
    "cls",
    "run",
    "create_task",
    "dependency_overrides",
    "TestClient",
    "AsyncClient",
    "anyio",
    "loop_scope",
    "scope",
    "autouse",
    "yield_fixture",
    "usefixtures",
    "test_x",
    "conftest",
    "helpers",
)

INTERESTING_CONSTANTS: tuple[object, ...] = (
    "session",
    "module",
    "class",
    "package",
    "function",
    "auto",
    "strict",
    "event_loop",
    "/",
    "",
    None,
    True,
    False,
    0,
    -1,
    1.5,
    b"x",
    ...,
)


def _bodies(tree: ast.AST) -> list[list[ast.stmt]]:
    """Every statement list in the tree (bodies, orelse, finalbody, handlers' bodies)."""
    out: list[list[ast.stmt]] = []
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            value = getattr(node, field, None)
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                out.append(value)
    return out


def _defs(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]:
    return [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    ]


def _exprs(tree: ast.AST) -> list[ast.expr]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.expr)]


def _replace_child(parent: ast.AST, old: ast.AST, new: ast.AST) -> bool:
    """Put ``new`` where ``old`` is among ``parent``'s fields; False when not found."""
    for field, value in ast.iter_fields(parent):
        if value is old:
            setattr(parent, field, new)
            return True
        if isinstance(value, list):
            for i, item in enumerate(value):
                if item is old:
                    value[i] = new
                    return True
    return False


def _parents(tree: ast.AST) -> dict[int, ast.AST]:
    return {id(c): n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)}


def _toggle_async(node: ast.AST) -> ast.AST:
    """def <-> async def, for <-> async for, with <-> async with (same fields)."""
    swap: dict[type, type] = {
        ast.FunctionDef: ast.AsyncFunctionDef,
        ast.AsyncFunctionDef: ast.FunctionDef,
        ast.For: ast.AsyncFor,
        ast.AsyncFor: ast.For,
        ast.With: ast.AsyncWith,
        ast.AsyncWith: ast.With,
    }
    new_type = swap[type(node)]
    new = new_type(**{f: getattr(node, f, None) for f in new_type._fields})
    return ast.copy_location(new, node)


def mutate_tree(source: bytes, rng: random.Random, count: int) -> ast.Module:
    """Parse ``source`` and apply ``count`` random structural edits (deterministic per ``rng``)."""
    tree = ast.parse(source)
    names = sorted(
        {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | set(INTERESTING_NAMES)
    )
    for _ in range(count):
        kind = rng.choice(MUTATIONS)
        try:
            kind(tree, rng, names)
        except (IndexError, ValueError, RecursionError):
            continue  # nothing of that kind in this tree (or a subtree too deep to copy)
    return tree


def _m_rename(tree: ast.Module, rng: random.Random, names: list[str]) -> None:
    candidates = [
        n
        for n in ast.walk(tree)
        if isinstance(
            n,
            ast.Name
            | ast.Attribute
            | ast.arg
            | ast.FunctionDef
            | ast.AsyncFunctionDef
            | ast.ClassDef
            | ast.alias
            | ast.keyword,
        )
    ]
    node = rng.choice(candidates)
    new = rng.choice(names)
    if isinstance(node, ast.Name):
        node.id = new
    elif isinstance(node, ast.Attribute):
        node.attr = new
    elif isinstance(node, ast.arg):
        node.arg = new
    elif isinstance(node, ast.alias):
        if rng.random() < 0.5:
            node.name = rng.choice([new, f"{new}.{rng.choice(names)}", "*"])
        else:
            node.asname = new
    elif isinstance(node, ast.keyword):
        node.arg = rng.choice([new, "scope", "loop_scope", "autouse", "params", None])
    else:
        node.name = rng.choice([new, f"test_{new}", f"Test{new}"])


def _m_swap_decorators(tree: ast.Module, rng: random.Random, names: list[str]) -> None:
    defs = _defs(tree)
    a, b = rng.choice(defs), rng.choice(defs)
    if rng.random() < 0.3:
        a.decorator_list = []
    else:
        a.decorator_list, b.decorator_list = b.decorator_list, a.decorator_list


def _m_delete_stmt(tree: ast.Module, rng: random.Random, names: list[str]) -> None:
    body = rng.choice(_bodies(tree))
    del body[rng.randrange(len(body))]
    if not body:
        body.append(ast.Pass())


def _m_duplicate_stmt(tree: ast.Module, rng: random.Random, names: list[str]) -> None:
    import copy

    body = rng.choice(_bodies(tree))
    i = rng.randrange(len(body))
    body.insert(rng.randrange(len(body) + 1), copy.deepcopy(body[i]))


def _m_move_stmt(tree: ast.Module, rng: random.Random, names: list[str]) -> None:
    """Move a statement into another body: defs into classes, fixtures into tests ..."""
    bodies = _bodies(tree)
    src, dst = rng.choice(bodies), rng.choice(bodies)
    if len(src) < 2:
        return
    stmt = src.pop(rng.randrange(len(src)))
    if any(dst is b for b in _bodies(stmt)):  # would create a cycle
        src.append(stmt)
        return
    dst.insert(rng.randrange(len(dst) + 1), stmt)


def _m_toggle_async(tree: ast.Module, rng: random.Random, names: list[str]) -> None:
    kinds = ast.FunctionDef | ast.AsyncFunctionDef | ast.For | ast.AsyncFor | ast.With
    nodes = [n for n in ast.walk(tree) if isinstance(n, kinds | ast.AsyncWith)]
    node = rng.choice(nodes)
    parent = _parents(tree).get(id(node))
    if parent is not None:
        _replace_child(parent, node, _toggle_async(node))


def _m_add_await(tree: ast.Module, rng: random.Random, names: list[str]) -> None:
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call | ast.Name | ast.Attribute)]
    node = rng.choice(calls)
    parent = _parents(tree).get(id(node))
    if parent is not None and not isinstance(parent, ast.Await):
        _replace_child(parent, node, ast.Await(value=node))


def _m_remove_await(tree: ast.Module, rng: random.Random, names: list[str]) -> None:
    awaits = [n for n in ast.walk(tree) if isinstance(n, ast.Await | ast.Yield | ast.YieldFrom)]
    node = rng.choice(awaits)
    parent = _parents(tree).get(id(node))
    if parent is not None and node.value is not None:
        _replace_child(parent, node, node.value)


def _m_graft_expr(tree: ast.Module, rng: random.Random, names: list[str]) -> None:
    """Replace an expression by a copy of another one from the same file (or a constant)."""
    import copy

    exprs = _exprs(tree)
    target = rng.choice(exprs)
    parent = _parents(tree).get(id(target))
    if parent is None:
        return
    if rng.random() < 0.3:
        new: ast.expr = ast.Constant(value=rng.choice(INTERESTING_CONSTANTS))
    else:
        new = copy.deepcopy(rng.choice(exprs))
    if any(n is target for n in ast.walk(new)):
        return
    _replace_child(parent, target, new)


def _m_edit_call(tree: ast.Module, rng: random.Random, names: list[str]) -> None:
    """Drop, duplicate or add call arguments and keywords (decorators' scope=, patch targets)."""
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    call = rng.choice(calls)
    choice = rng.randrange(5)
    if choice == 0 and call.args:
        del call.args[rng.randrange(len(call.args))]
    elif choice == 1 and call.keywords:
        del call.keywords[rng.randrange(len(call.keywords))]
    elif choice == 2:
        call.keywords.append(
            ast.keyword(
                arg=rng.choice(["scope", "loop_scope", "autouse", "app", "new", None]),
                value=ast.Constant(value=rng.choice(INTERESTING_CONSTANTS)),
            )
        )
    elif choice == 3:
        call.args.insert(0, ast.Starred(value=ast.Name(id=rng.choice(names)), ctx=ast.Load()))
    else:
        call.args.append(ast.Constant(value=rng.choice(INTERESTING_CONSTANTS)))


def _m_wrap(tree: ast.Module, rng: random.Random, names: list[str]) -> None:
    """Wrap a statement in a class, def, if, with or try (changes what encloses what)."""
    bodies = _bodies(tree)
    body = rng.choice(bodies)
    i = rng.randrange(len(body))
    stmt = body[i]
    shape = rng.randrange(6)
    wrapper: ast.stmt
    if shape == 0:
        wrapper = ast.ClassDef(
            name=f"Test{rng.choice(names)}", bases=[], keywords=[], body=[stmt], decorator_list=[]
        )
    elif shape in (1, 2):
        cls = ast.AsyncFunctionDef if shape == 1 else ast.FunctionDef
        wrapper = cls(
            name=rng.choice(["test_wrapped", "fixture_wrapped", rng.choice(names)]),
            args=ast.arguments(
                posonlyargs=[],
                args=[ast.arg(arg=rng.choice(names))],
                kwonlyargs=[],
                kw_defaults=[],
                defaults=[],
            ),
            body=[stmt],
            decorator_list=[],
            returns=None,
        )
    elif shape == 3:
        wrapper = ast.If(test=ast.Name(id=rng.choice(names)), body=[stmt], orelse=[])
    elif shape == 4:
        wrapper = ast.With(
            items=[ast.withitem(context_expr=ast.Call(ast.Name(rng.choice(names)), [], []))],
            body=[stmt],
        )
    else:
        wrapper = ast.Try(
            body=[stmt],
            handlers=[ast.ExceptHandler(type=None, name=None, body=[ast.Pass()])],
            orelse=[],
            finalbody=[],
        )
    body[i] = wrapper


MUTATIONS: list[Callable[[ast.Module, random.Random, list[str]], None]] = [
    _m_rename,
    _m_rename,
    _m_swap_decorators,
    _m_delete_stmt,
    _m_duplicate_stmt,
    _m_move_stmt,
    _m_toggle_async,
    _m_toggle_async,
    _m_add_await,
    _m_remove_await,
    _m_graft_expr,
    _m_graft_expr,
    _m_edit_call,
    _m_wrap,
]


def unparse_mutant(source: bytes, rng: random.Random, count: int) -> bytes | None:
    """Mutate and re-unparse; None when the mutant cannot be unparsed at all."""
    mutant = mutate_tree(source, rng, count)
    ast.fix_missing_locations(mutant)
    try:
        return ast.unparse(mutant).encode("utf-8", "surrogatepass")
    except Exception:
        return None


@st.composite
def ast_mutants(draw: st.DrawFn) -> bytes:
    """A corpus module with 1..10 structural edits, as source text."""
    source = draw(st.sampled_from(CORPUS_SOURCES))
    seed = draw(st.integers(0, 2**32 - 1))
    count = draw(st.integers(1, 10))
    data = unparse_mutant(source, random.Random(seed), count)
    return source if data is None else data


# ----------------------------------------------------------------------------- deep shapes

#: Expression shapes that nest ``n`` levels deep; ``name`` is a name taken from the file so the
#: rules that care about it (client, session, app, a mock) look inside. CPython parses most of
#: these up to ~2990 levels, far past the 1000-frame recursion limit of any recursive analysis.
DEEP_EXPRESSIONS: dict[str, Callable[[str, int], str]] = {
    "call_chain": lambda name, n: name + ".get()" * n,
    "await_chain": lambda name, n: f"await {name}" + ".json()" * n,
    "attr_chain": lambda name, n: name + ".x" * n,
    "subscript": lambda name, n: name + "[0]" * n,
    "calls": lambda name, n: name + "()" * n,
    "binop": lambda name, n: " + ".join([name] * n),
    "bitor": lambda name, n: " | ".join([name] * n),
    "boolop": lambda name, n: " and ".join([name] * n),
    "compare": lambda name, n: " < ".join([name] * n),
    "not": lambda name, n: "not " * n + name,
    "ifexp": lambda name, n: f"{name} if {name} else " * n + name,
    "lambda": lambda name, n: "lambda: " * n + name,
    "nested_call_args": lambda name, n: f"{name}(" * min(n, 190) + ")" * min(n, 190),
    "parens": lambda name, n: "(" * n + name + ")" * n,
    "lists": lambda name, n: "[" * n + "]" * n,
}

#: Statement templates a deep expression is put into.
DEEP_STATEMENTS: tuple[str, ...] = (
    "x = {e}",
    "{e}",
    "assert {e}",
    "return {e}",
    "yield {e}",
    "x: {e} = None",
    "client.dependency_overrides[{e}] = {e}",
    "asyncio.run({e})",
    "asyncio.create_task({e})",
    "with {e} as x: pass",
)


def _name_pool(text: str) -> list[str]:
    names = sorted({w for w in text.split() if w.isidentifier() and len(w) < 30})
    return names or ["x"]


@st.composite
def deep_mutants(draw: st.DrawFn) -> bytes:
    """A corpus file with one deeply nested expression or long elif/decorator run inserted."""
    text = draw(st.sampled_from(CORPUS_BYTES)).decode("utf-8")
    lines = text.splitlines(keepends=True) or ["\n"]
    at = draw(st.integers(0, len(lines)))
    following = next((ln for ln in lines[at:] if ln.strip()), "")
    indent = following[: len(following) - len(following.lstrip())]
    name = draw(st.sampled_from(_name_pool(text)))
    depth = draw(st.sampled_from([120, 400, 999, 1001, 1500, 2200, 2900]))
    shape = draw(st.sampled_from([*sorted(DEEP_EXPRESSIONS), "elif", "decorators", "alias"]))
    if shape == "elif":
        block = (
            f"if {name}:\n{indent}    pass\n" + f"{indent}elif {name}:\n{indent}    pass\n" * depth
        )
    elif shape == "decorators":
        block = f"@{name}\n{indent}" * depth + f"def test_{name}(): pass\n"
    elif shape == "alias":  # x1 = x0, x2 = x1, ...: chained module-level aliases
        block = f"x0 = {name}\n" + "".join(f"{indent}x{i} = x{i - 1}\n" for i in range(1, depth))
    else:
        expr = DEEP_EXPRESSIONS[shape](name, depth)
        block = draw(st.sampled_from(DEEP_STATEMENTS)).format(e=expr) + "\n"
    lines.insert(at, indent + block)
    return "".join(lines).encode("utf-8")


# ----------------------------------------------------------------------------- generated programs


def with_trailer(source: str) -> bytes:
    """Generated code plus a comment with every rule's pre-filter token, so all rules run."""
    return source.encode("utf-8", "surrogatepass") + TOKEN_TRAILER


grammar_programs = hypothesmith.from_grammar().map(with_trailer)
node_programs = hypothesmith.from_node().map(with_trailer)
config_kinds = st.sampled_from(sorted(ROOT_CONFIGS))


# ----------------------------------------------------------------------------- project mutations

_PROJECT_COPIES: dict[Path, Path] = {}


def project_copy(project: Path) -> Path:
    """A scratch copy of a corpus project, made once per process (files restored per example)."""
    copy = _PROJECT_COPIES.get(project)
    if copy is None:
        copy = Path(tempfile.mkdtemp(prefix=f"loopdoctor-fuzz-{project.name}-")) / project.name
        shutil.copytree(project, copy)
        _PROJECT_COPIES[project] = copy
    return copy


def check_project_mutant(project: Path, rel: str, data: bytes) -> Outcome:
    """Replace one file of a project copy with ``data``, check the whole project, restore it."""
    from loopdoctor.discovery import discover

    root = project_copy(project)
    target = root / rel
    original = target.read_bytes()
    target.write_bytes(data)
    try:
        files = discover([root], respect_gitignore=False).files
        with time_limit(EXAMPLE_TIMEOUT, "checker"):
            result = run_checker(files, root)
        return assert_well_behaved(result, files)
    finally:
        target.write_bytes(original)


@st.composite
def project_mutants(draw: st.DrawFn) -> tuple[Path, str, bytes]:
    """(project, one of its .py files, a byte- or AST-mutated version of that file)."""
    project = draw(st.sampled_from(PROJECTS))
    rels = sorted(p.relative_to(project).as_posix() for p in project.rglob("*.py"))
    rel = draw(st.sampled_from(rels))
    original = (project / rel).read_bytes()
    seed = draw(st.integers(0, 2**32 - 1))
    data: bytes | None = None
    if draw(st.booleans()):
        try:
            data = unparse_mutant(original, random.Random(seed), draw(st.integers(1, 8)))
        except SyntaxError:
            data = None
    if data is None:
        rng = random.Random(seed)
        buf = bytearray(original)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(buf) + 1)
            if rng.random() < 0.5:
                buf[at:at] = rng.choice(NASTY_BYTES)
            else:
                del buf[at : at + rng.randint(1, 30)]
        data = bytes(buf)
    return project, rel, data


# ----------------------------------------------------------------------------- the properties

#: Examples per property in the normal suite (deterministic); the benchmark raises these.
SUITE_EXAMPLES = {
    "grammar": 40,
    "node": 10,
    "bytes": 50,
    "ast": 70,
    "project": 20,
    "deep": 8,
}

_COMMON = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "print_blob": True,
    "suppress_health_check": list(HealthCheck),
}


@settings(max_examples=SUITE_EXAMPLES["grammar"], **_COMMON)
@given(source=grammar_programs, kind=config_kinds)
def test_grammar_generated_programs(source: bytes, kind: str) -> None:
    check_program(source, kind)


@settings(max_examples=SUITE_EXAMPLES["node"], **_COMMON)
@given(source=node_programs, kind=config_kinds)
def test_node_generated_programs(source: bytes, kind: str) -> None:
    check_program(source, kind)


@settings(max_examples=SUITE_EXAMPLES["bytes"], **_COMMON)
@given(source=byte_mutants(), kind=config_kinds)
def test_byte_mutated_corpus(source: bytes, kind: str) -> None:
    check_program(source, kind)


@settings(max_examples=SUITE_EXAMPLES["ast"], **_COMMON)
@given(source=ast_mutants(), kind=config_kinds)
def test_ast_mutated_corpus(source: bytes, kind: str) -> None:
    check_program(source, kind)


@settings(max_examples=SUITE_EXAMPLES["deep"], **_COMMON)
@given(source=deep_mutants(), kind=config_kinds)
def test_deep_nesting_in_corpus(source: bytes, kind: str) -> None:
    check_program(source, kind)


@settings(max_examples=SUITE_EXAMPLES["project"], **_COMMON)
@given(case=project_mutants())
def test_mutated_file_in_project(case: tuple[Path, str, bytes]) -> None:
    check_project_mutant(*case)


def test_unmutated_corpus_is_well_behaved() -> None:
    """The baseline the mutants start from: each single-file case as test, conftest and helper
    (the project files are checked in place by the project property)."""
    single = CORPUS / "single"
    for path, data in zip(CORPUS_FILES, CORPUS_BYTES, strict=True):
        if path.parent == single:
            check_program(data, "strict")


def remove_scratch() -> None:
    """Delete the per-process scratch trees (the next example recreates them)."""
    for path in [*_ROOTS.values(), *(p.parent for p in _PROJECT_COPIES.values())]:
        shutil.rmtree(path, ignore_errors=True)
    _ROOTS.clear()
    _PROJECT_COPIES.clear()


@pytest.fixture(scope="module", autouse=True)
def _cleanup_scratch() -> Iterator[None]:
    """Remove the scratch trees once this module's properties ran."""
    yield
    remove_scratch()
