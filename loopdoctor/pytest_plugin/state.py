"""Per-test and per-fixture state the hooks share while a test runs."""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FixtureRun:
    """One setup (and later teardown) of a fixture that ran an event loop."""

    name: str
    scope: str
    nodeid: str
    setup: list[int] = field(default_factory=list)
    teardown: list[int] = field(default_factory=list)
    finished: bool = False
    is_async: bool = True

    @property
    def loop(self) -> int | None:
        """The loop the fixture body ran on (the last one started during its setup)."""
        return self.setup[-1] if self.setup else None


@dataclass
class Limits:
    """Thresholds in force for one test (global settings, overridden by the marker)."""

    max_growth: int
    max_leaked_tasks: int | None = None
    strict: bool = False
    explicit_growth: bool = False


@dataclass
class LiveTest:
    """Measurements of the test that is running now."""

    nodeid: str
    record: dict[str, Any]
    limits: Limits
    rss_before: int
    fds_before: set[int]
    threads_before: dict[int, threading.Thread]
    phase: str = "setup"
    phases: dict[str, str] = field(default_factory=dict)
    fixtures: dict[str, FixtureRun] = field(default_factory=dict)
    finished: bool = False
    report_overhead: int = 0
    modules_before: int = 0


@dataclass
class Candidate:
    """A resource that appeared during a test; it is a leak if still open at session end."""

    nodeid: str
    kind: str
    target: str
    detail: str
    thread: weakref.ReferenceType[threading.Thread] | None = None
