"""A wall-clock limit for one block of a test: fail instead of hanging the suite."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager


class Hang(BaseException):
    """The alarm fired (BaseException, so a rule's ``except Exception`` cannot swallow it)."""


@contextmanager
def time_limit(seconds: float, what: str = "loopdoctor") -> Iterator[None]:
    """Raise :class:`Hang` when the body runs longer than ``seconds`` (SIGALRM, main thread)."""

    def on_alarm(signum: int, frame: object) -> None:
        raise Hang(f"{what} ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
