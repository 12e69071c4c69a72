"""Cheap runtime probes: loop identity, task ownership, RSS, fds and threads.

Loop identity comes from wrapping ``asyncio.events._set_running_loop``: every
``run_until_complete``/``Runner.run`` goes through it, whatever created the
loop, so no pytest-asyncio internals are needed. Loops get serial ids from a
WeakKeyDictionary because ``id()`` values are reused as loops come and go.
"""

from __future__ import annotations

import asyncio
import asyncio.base_events
import asyncio.events
import asyncio.runners
import contextlib
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import psutil

_ASYNCIO_DIR = os.path.dirname(asyncio.__file__) + os.sep
_OWN_DIR = os.path.dirname(__file__) + os.sep
_PYTEST_DIR = os.sep + "_pytest" + os.sep
_PLUGGY_DIR = os.sep + "pluggy" + os.sep
_PYTEST_ASYNCIO_DIR = os.sep + "pytest_asyncio" + os.sep
_ANYIO_DIR = os.sep + "anyio" + os.sep
_THREADING_FILE = threading.__file__
_RUNNERS_FILE = asyncio.runners.__file__
_ENSURE_FUTURE_CODES = {
    f.__code__
    for f in (getattr(asyncio.tasks, "_ensure_future", None), asyncio.tasks.ensure_future)
    if f is not None and hasattr(f, "__code__")
}
_RUN_UNTIL_COMPLETE = asyncio.base_events.BaseEventLoop.run_until_complete.__code__


def _from_run_until_complete(frame: Any) -> bool:
    """Whether this create_task comes from run_until_complete wrapping a coroutine."""
    while frame is not None and frame.f_code in _ENSURE_FUTURE_CODES:
        frame = frame.f_back
    return frame is not None and frame.f_code is _RUN_UNTIL_COMPLETE


_PROCESS: psutil.Process | None = None  # imported on first use: only fallbacks need it
_FD_DIR = "/proc/self/fd"


def _process() -> psutil.Process:
    global _PROCESS
    if _PROCESS is None:
        import psutil

        _PROCESS = psutil.Process()
    return _PROCESS


_STATM_FD: int | None = None
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> int:
    """Resident set size of this process.

    On Linux one ``pread`` of /proc/self/statm through an fd kept open for the
    session (~2 µs, opened before the first test so it is never a "new" fd);
    elsewhere psutil with a cached Process (~23 µs).
    """
    global _STATM_FD
    try:
        if _STATM_FD is None:
            _STATM_FD = os.open("/proc/self/statm", os.O_RDONLY)
        return int(os.pread(_STATM_FD, 128, 0).split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return int(_process().memory_info().rss)


def close_statm() -> None:
    """Close the kept-open statm fd at session end."""
    global _STATM_FD
    if _STATM_FD is not None:
        with contextlib.suppress(OSError):
            os.close(_STATM_FD)
        _STATM_FD = None


def open_fds() -> set[int]:
    """Numbers of the open file descriptors (one listdir, ~10 µs on Linux)."""
    try:
        fds = {int(name) for name in os.listdir(_FD_DIR)}
        # listdir's own directory fd is in the listing: it was the lowest free
        # number, and is free again now, so the next dup gets the same number.
        try:
            spare = os.dup(0)
        except OSError:
            spare = os.open(_FD_DIR, os.O_RDONLY)
        os.close(spare)
        fds.discard(spare)
        return fds
    except OSError:
        try:
            return set(range(_process().num_fds()))
        except Exception:
            return set()


def fd_count() -> int | None:
    """Number of open fds from one stat of /proc/self/fd (Linux ≥6.2: ~2.5 µs), else None."""
    try:
        size = os.stat(_FD_DIR).st_size
    except OSError:
        return None
    return size or None


class FdTracker:
    """The set of open fds, re-listed only when the (cheap) count changes."""

    def __init__(self) -> None:
        self.count: int | None = None
        self.fds: set[int] = set()

    def current(self) -> tuple[set[int], bool]:
        """(open fds, whether they may differ from the previous call)."""
        count = fd_count()
        if count is not None and count == self.count:
            return self.fds, False
        self.fds = open_fds()
        self.count = count
        return self.fds, True


def fd_target(fd: int) -> str:
    """What an fd points to: a path, ``socket:[inode]``, ``pipe:[...]``..."""
    try:
        return os.readlink(f"{_FD_DIR}/{fd}")
    except OSError:
        return "?"


def socket_peers() -> dict[int, str]:
    """fd -> "laddr -> raddr" for inet sockets; costly (~4 ms), only when fds grew."""
    peers: dict[int, str] = {}
    try:
        for conn in _process().net_connections(kind="inet"):
            if conn.fd is None or conn.fd < 0:
                continue
            laddr = f"{conn.laddr.ip}:{conn.laddr.port}" if conn.laddr else "?"
            raddr = f"{conn.raddr.ip}:{conn.raddr.port}" if conn.raddr else "-"
            peers[conn.fd] = f"{laddr} -> {raddr} ({conn.status})"
    except Exception:
        pass
    return peers


def live_threads() -> dict[int, threading.Thread]:
    """Live threads by ident."""
    return {t.ident or 0: t for t in threading.enumerate()}


def user_site(frame: Any) -> str:
    """file:line of the innermost frame outside asyncio and this plugin.

    Frames of pytest-asyncio/anyio are passed over in favour of the code that
    called them, but the walk stops at pytest/pluggy: above that is no user code.
    """
    first = ""
    while frame is not None:
        filename = frame.f_code.co_filename
        if (
            filename.startswith(_ASYNCIO_DIR)
            or filename.startswith(_OWN_DIR)
            or filename == _THREADING_FILE
        ):
            frame = frame.f_back
            continue
        if _PYTEST_DIR in filename or _PLUGGY_DIR in filename:
            break
        location = f"{filename}:{frame.f_lineno}"
        if not first:
            first = location
        if _PYTEST_ASYNCIO_DIR not in filename and _ANYIO_DIR not in filename:
            return location
        frame = frame.f_back
    return first


def task_coro_name(task: asyncio.Task[Any]) -> str:
    """Qualified name of the coroutine a task wraps."""
    coro = task.get_coro()
    return getattr(coro, "__qualname__", None) or type(coro).__name__


def _really_blocked(wall: float, cpu: float, threshold: float) -> bool:
    """Tell a blocked loop from a process the OS merely descheduled (a busy machine).

    Blocking is either CPU-bound (half the threshold in pure CPU, or CPU close to
    wall time) or a blocking call such as time.sleep or sync I/O (almost no CPU).
    A step that did a little CPU work but spent most of its wall time waiting for
    a core is contention, not a bug.
    """
    return cpu >= threshold / 2 or cpu >= 0.5 * wall or cpu < 0.005


def describe_handle(handle: Any) -> tuple[str, Any]:
    """(text, task or None) for a callback handle: task steps name their task."""
    callback = getattr(handle, "_callback", None)
    task = getattr(callback, "__self__", None)
    if isinstance(task, asyncio.Task):
        where = task_suspension(task)
        if where:
            where = f"step ending at {where}"
        else:
            code = getattr(task.get_coro(), "cr_code", None)
            if code is not None:
                where = f"defined at {code.co_filename}:{code.co_firstlineno}"
        text = f"task '{task.get_name()}' ({task_coro_name(task)})"
        return (text + (f", {where}," if where else ""), task)
    return (repr(handle)[:200], None)


def task_suspension(task: asyncio.Task[Any]) -> str:
    """Where the task's coroutine is suspended (innermost frame), as file:line."""
    try:
        frames = task.get_stack()
    except Exception:
        return ""
    if not frames:
        return ""
    frame = frames[-1]
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def _dead_ref() -> None:
    """Stands in for the weakref of a loop closed in an earlier test (one object less)."""
    return None


@dataclass(slots=True)
class LoopInfo:
    """What we know about one event loop; kept (slotted, small) after the loop is gone."""

    serial: int
    ref: Callable[[], Any]
    created_at: str
    first_seen: str
    thread: str
    kind: str
    closed_after: str | None = None
    closed: bool = False

    @property
    def label(self) -> str:
        return f"L{self.serial}"

    def refresh_closed(self, nodeid: str) -> bool:
        """Mark the loop closed (or collected) once; return True when it just closed."""
        if self.closed:
            return False
        loop = self.ref()
        if loop is None or loop.is_closed():
            self.closed = True
            self.closed_after = nodeid
            return True
        return False

    def as_dict(self) -> dict[str, Any]:
        return {
            "created_at": self.created_at,
            "first_seen": self.first_seen,
            "thread": self.thread,
            "type": self.kind,
            "closed": self.closed,
            "closed_after": self.closed_after,
        }


@dataclass
class TaskOwner:
    """Who created a task: the test, the phase and (if any) the fixture being set up."""

    nodeid: str
    phase: str
    fixture: Any
    site: str


@dataclass
class Sinks:
    """Where loop starts are recorded right now (lists of loop serials)."""

    phase: list[int] | None = None
    fixture: list[int] | None = None
    threads: list[int] | None = None


@dataclass
class LoopObserver:
    """Installs the loop-start wrapper, the close hook and per-loop task factories."""

    describe: Callable[[], str]
    owner: Callable[[], tuple[str, str, Any]]
    on_close: Callable[[asyncio.AbstractEventLoop, list[asyncio.Task[Any]]], None]
    on_error: Callable[[str, BaseException], None]
    debug: bool = False
    slow: float = 0.1
    infos: list[LoopInfo] = field(default_factory=list)
    open_infos: list[LoopInfo] = field(default_factory=list)
    sinks: Sinks = field(default_factory=Sinks)
    task_owner: weakref.WeakKeyDictionary[Any, TaskOwner] = field(
        default_factory=weakref.WeakKeyDictionary
    )
    _by_loop: weakref.WeakKeyDictionary[Any, LoopInfo] = field(
        default_factory=weakref.WeakKeyDictionary
    )
    on_slow: Callable[[Any, float], None] | None = None
    _orig_set: Any = None
    _orig_cancel: Any = None
    _orig_run: Any = None
    _main: int = 0
    _last: tuple[Any, LoopInfo] | None = None
    _closed_earlier: list[LoopInfo] = field(default_factory=list)

    def install(self) -> None:
        """Wrap the two stdlib functions; safe to call once per session."""
        self._main = threading.main_thread().ident or 0
        self._orig_set = asyncio.events._set_running_loop
        self._orig_cancel = getattr(asyncio.runners, "_cancel_all_tasks", None)
        orig_set = self._orig_set
        seen = self._seen

        def _set_running_loop(loop: Any) -> None:
            orig_set(loop)
            if loop is not None:
                try:
                    seen(loop)
                except Exception as exc:  # never break the loop being started
                    self.on_error("loop observer", exc)

        _set_running_loop.__wrapped__ = orig_set  # type: ignore[attr-defined]
        asyncio.events._set_running_loop = _set_running_loop
        if self._orig_cancel is not None:
            orig_cancel = self._orig_cancel

            def _cancel_all_tasks(loop: Any) -> None:
                try:
                    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
                    if pending:
                        self.on_close(loop, pending)
                except Exception as exc:
                    self.on_error("task snapshot at loop close", exc)
                orig_cancel(loop)

            _cancel_all_tasks.__wrapped__ = orig_cancel  # type: ignore[attr-defined]
            asyncio.runners._cancel_all_tasks = _cancel_all_tasks
        if self.on_slow is not None:
            self._install_handle_timer(self.on_slow)

    def _install_handle_timer(self, on_slow: Callable[[Any, float], None]) -> None:
        """Time every callback/task step (two perf_counter calls): LR06 without debug mode.

        A step during which modules were imported is not reported: first-use
        imports are slow once, they are not a blocked loop.
        """
        orig_run = asyncio.events.Handle._run
        self._orig_run = orig_run
        threshold = self.slow
        clock = time.perf_counter
        cpu_clock = time.thread_time
        modules = sys.modules

        def _run(handle: Any) -> None:
            count = len(modules)
            cpu = cpu_clock()
            start = clock()
            orig_run(handle)
            elapsed = clock() - start
            if elapsed > threshold and len(modules) == count:
                try:
                    if _really_blocked(elapsed, cpu_clock() - cpu, threshold):
                        on_slow(handle, elapsed)
                except Exception as exc:
                    self.on_error("slow callback", exc)

        _run.__wrapped__ = orig_run  # type: ignore[attr-defined]
        asyncio.events.Handle._run = _run  # type: ignore[method-assign]

    def uninstall(self) -> None:
        """Put the stdlib functions back."""
        if self._orig_set is not None:
            asyncio.events._set_running_loop = self._orig_set
            self._orig_set = None
        if self._orig_cancel is not None:
            asyncio.runners._cancel_all_tasks = self._orig_cancel
            self._orig_cancel = None
        if self._orig_run is not None:
            asyncio.events.Handle._run = self._orig_run  # type: ignore[method-assign]
            self._orig_run = None

    def info_for(self, loop: Any) -> LoopInfo | None:
        return self._by_loop.get(loop)

    def _seen(self, loop: Any) -> None:
        last = self._last
        if last is not None and last[0]() is loop:
            info = last[1]
        else:
            info = self._by_loop.get(loop)
            if info is None:
                info = self._register(loop)
            self._last = (info.ref, info)
        if self.debug and not loop.get_debug():
            loop.set_debug(True)
        sinks = self.sinks
        if threading.get_ident() == self._main:
            for sink in (sinks.phase, sinks.fixture):
                if sink is not None and info.serial not in sink:
                    sink.append(info.serial)
        elif sinks.threads is not None and info.serial not in sinks.threads:
            sinks.threads.append(info.serial)

    def _register(self, loop: Any) -> LoopInfo:
        info = LoopInfo(
            serial=len(self.infos) + 1,
            ref=weakref.ref(loop),
            created_at=user_site(sys._getframe(2)),
            first_seen=self.describe(),
            thread=threading.current_thread().name,
            kind=f"{type(loop).__module__}.{type(loop).__qualname__}",
        )
        self.infos.append(info)
        self.open_infos.append(info)
        self._by_loop[loop] = info
        if self.debug:
            loop.set_debug(True)
            loop.slow_callback_duration = self.slow
        if loop.get_task_factory() is None:
            loop.set_task_factory(self._task_factory)
        return info

    def _task_factory(self, loop: Any, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.Task(coro, loop=loop, **kwargs)
        try:
            caller = sys._getframe(2)
            # A Runner's main task (the test or fixture body itself) is always awaited,
            # and run_until_complete's shutdown helpers too: nothing to attribute.
            if caller.f_code.co_filename == _RUNNERS_FILE or _from_run_until_complete(caller):
                return task
            nodeid, phase, fixture = self.owner()
            self.task_owner[task] = TaskOwner(nodeid, phase, fixture, user_site(caller))
        except Exception as exc:
            self.on_error("task factory", exc)
        return task

    def refresh_closed(self, nodeid: str) -> None:
        """Mark loops that closed since the last call (only open ones are checked).

        Loops closed before the previous call also drop their weakref: every object
        kept per test makes the garbage collector's full passes slower and more frequent.
        """
        for info in self._closed_earlier:
            info.ref = _dead_ref
        self._closed_earlier = []
        if any(info.refresh_closed(nodeid) for info in list(self.open_infos)):
            self._closed_earlier = [info for info in self.open_infos if info.closed]
            self.open_infos = [info for info in self.open_infos if not info.closed]

    def loops_alive(self, serials: set[int] | None = None) -> list[tuple[LoopInfo, Any]]:
        """(info, loop) for loops not yet garbage collected (optionally only these)."""
        out = []
        infos = self.infos if serials is None else [self.infos[s - 1] for s in sorted(serials)]
        for info in infos:
            loop = info.ref()
            if loop is not None:
                out.append((info, loop))
        return out

    def loop_fds(self) -> set[int]:
        """fds owned by live loops (selector, self-pipe): never counted as leaks."""
        fds: set[int] = set()
        loops = [info.ref() for info in self.open_infos]
        # The policy's current loop even if it never ran: pytest-asyncio <=0.21 sets a fresh
        # one after every test's event_loop teardown (read without creating one).
        local = getattr(asyncio.get_event_loop_policy(), "_local", None)
        loops.append(getattr(local, "_loop", None))
        for loop in loops:
            if loop is None or loop.is_closed():
                continue
            for attr in ("_ssock", "_csock"):
                sock = getattr(loop, attr, None)
                if sock is not None:
                    with contextlib.suppress(Exception):
                        fds.add(sock.fileno())
            selector = getattr(loop, "_selector", None)
            if selector is not None:
                with contextlib.suppress(Exception):
                    fds.add(selector.fileno())
        return fds
