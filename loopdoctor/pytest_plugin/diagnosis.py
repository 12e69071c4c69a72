"""LR07: explain failures whose error is a known event-loop symptom.

Matching uses the stable cores of the messages (runtime-facts §3), which survive
SQLAlchemy and asyncpg rewording; the facts come from this run's loop records.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Symptom:
    """A known error message core, what it means, and the static rules that find its cause."""

    core: str
    meaning: str
    rules: tuple[str, ...]


SYMPTOMS: tuple[Symptom, ...] = (
    Symptom(
        "attached to a different loop",
        "a Future/connection created on one event loop is awaited from another: an object "
        "that outlives its loop (module-level pooled engine, wider-scoped fixture) is used "
        "by a test running on a newer loop",
        ("LD501", "LD106"),
    ),
    Symptom(
        "belongs to a different loop",
        "a future created on one loop was passed to code running on another loop: an async "
        "fixture and the test that uses it run on different loops",
        ("LD106", "LD501"),
    ),
    Symptom(
        "is bound to a different event loop",
        "an asyncio primitive (Queue, Lock, Event, Semaphore) was first used on one loop and "
        "now on another; typically a connection pool's queue shared across test loops",
        ("LD501", "LD106"),
    ),
    Symptom(
        "another operation is in progress",
        "a pooled database connection was left mid-operation, usually broken by an earlier "
        "cross-loop failure (order-dependent cascade) or used by two coroutines at once",
        ("LD605", "LD501", "LD506"),
    ),
    Symptom(
        "Event loop is closed",
        "code scheduled work on a loop that has already been closed: an object (pooled "
        "connection, client, task) created on an earlier test's loop is used after that loop "
        "ended",
        ("LD106", "LD501", "LD101"),
    ),
    Symptom(
        "greenlet_spawn has not been called",
        "SQLAlchemy lazy-loaded or refreshed an attribute outside an awaited call "
        "(MissingGreenlet), "
        "typically attribute access after commit with expire_on_commit=True",
        ("LD505",),
    ),
    Symptom(
        "concurrent operations are not permitted",
        "one AsyncSession was used by several coroutines at the same time",
        ("LD506",),
    ),
    Symptom(
        "can't be called here; method",
        "an AsyncSession method ran while another one was still in progress on the same session "
        "(concurrent use, e.g. asyncio.gather over one session)",
        ("LD506",),
    ),
    Symptom(
        "_scoped_runner with a",
        "pytest-asyncio cannot run this async fixture: its cache scope is wider than its loop "
        "scope (ScopeMismatch on the loop runner), e.g. a session fixture while "
        "asyncio_default_fixture_loop_scope is function",
        ("LD106", "LD107"),
    ),
    Symptom(
        "fixture event_loop with a",
        "a wider-scoped fixture requests the function-scoped event_loop (pytest-asyncio <1.0): "
        "its loop scope is narrower than its cache scope",
        ("LD106", "LD101", "LD102"),
    ),
    Symptom(
        "fixture 'event_loop' not found",
        "the event_loop fixture was removed in pytest-asyncio 1.0; tests and fixtures that "
        "request it (or redefine it) no longer work",
        ("LD102", "LD101"),
    ),
    Symptom(
        "async def functions are not natively supported",
        "an async test ran without any asyncio marker or auto mode: its body never executed",
        ("LD201",),
    ),
    Symptom(
        "requested an async fixture",
        "a test received an async fixture that no plugin ran (e.g. @pytest.fixture on an async "
        "def in strict mode): it got a coroutine/async generator instead of the value",
        ("LD202", "LD204"),
    ),
    Symptom(
        "Task was destroyed but it is pending",
        "a task was created and dropped without being awaited or cancelled; its loop went away "
        "while it was still running",
        ("LD303",),
    ),
)


def iter_exceptions(exc: BaseException | None) -> Iterator[BaseException]:
    """The exception, its causes/contexts and exception-group members, each once."""
    seen: set[int] = set()
    stack = [exc]
    while stack:
        cur = stack.pop()
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        stack.append(cur.__cause__)
        stack.append(cur.__context__)
        stack.extend(getattr(cur, "exceptions", ()) or ())


def match(exc: BaseException | None, text: str = "") -> list[tuple[Symptom, str]]:
    """Known symptoms found in an exception chain (or a plain text), with the message line."""
    found: list[tuple[Symptom, str]] = []
    messages = [f"{type(e).__name__}: {e}" for e in iter_exceptions(exc)]
    if text:
        messages.append(text)
    for symptom in SYMPTOMS:
        for message in messages:
            if symptom.core in message:
                line = next(
                    (part for part in message.splitlines() if symptom.core in part), message
                )
                found.append((symptom, line.strip()[:300]))
                break
    return found


_LOOP_ATTRS = ("_loop", "loop", "_connection", "_protocol", "driver_connection", "_queue")


def _loop_attrs(obj: Any) -> Iterator[tuple[str, Any]]:
    for attr in _LOOP_ATTRS:
        try:
            value = object.__getattribute__(obj, attr)
        except Exception:
            continue
        yield attr, value


def bound_loops(exc: BaseException | None, limit: int = 40) -> list[tuple[str, Any]]:
    """(description, loop) for loop-bound objects found in the failing frames' locals.

    A shallow look at ``self`` and locals: enough to name the asyncpg connection
    or the queue whose loop differs from the test's, without guessing.
    """
    out: list[tuple[str, Any]] = []
    seen: set[int] = set()
    for err in iter_exceptions(exc):
        tb = err.__traceback__
        while tb is not None and len(out) < limit:
            frame = tb.tb_frame
            for name, value in list(frame.f_locals.items())[:20]:
                for depth_obj, path in ((value, name),):
                    if isinstance(depth_obj, asyncio.AbstractEventLoop):
                        continue
                    for attr, inner in _loop_attrs(depth_obj):
                        candidates = [(f"{path}.{attr}", inner)]
                        if not isinstance(inner, asyncio.AbstractEventLoop):
                            candidates = [
                                (f"{path}.{attr}.{a2}", v2) for a2, v2 in _loop_attrs(inner)
                            ]
                        for desc, loop in candidates:
                            if isinstance(loop, asyncio.AbstractEventLoop) and id(loop) not in seen:
                                seen.add(id(loop))
                                where = f"{frame.f_code.co_filename}:{tb.tb_lineno}"
                                kind = type(depth_obj).__qualname__
                                out.append((f"`{desc}` ({kind}) in {where}", loop))
            tb = tb.tb_next
    return out


def render_section(symptoms: list[tuple[Symptom, str]], facts: list[str], rules: list[str]) -> str:
    """The text shown under the failing test (report section "loopdoctor")."""
    lines: list[str] = []
    for symptom, line in symptoms:
        lines.append(f"symptom: {line}")
        lines.append(f"  meaning: {symptom.meaning}")
    if facts:
        lines.append("facts from this run:")
        lines.extend(f"  - {fact}" for fact in facts)
    lines.append("static rules that find the cause: " + ", ".join(rules))
    lines.append("  run: " + "; ".join(f"loopdoctor explain {code}" for code in rules))
    return "\n".join(lines)


def ordered_rules(symptoms: list[tuple[Symptom, str]]) -> list[str]:
    """Rule codes of all matched symptoms, most specific first, without repeats."""
    rules: list[str] = []
    for symptom, _line in symptoms:
        for code in symptom.rules:
            if code not in rules:
                rules.append(code)
    return rules
