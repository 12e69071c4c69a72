"""The data a check produces: findings and per-file errors, independent of any emitter."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path


class Severity(str, enum.Enum):
    """How bad a finding is: ``error`` breaks the suite, ``warning`` is flaky, ``info`` hints."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class FixSafety(str, enum.Enum):
    """Whether a rule can fix what it finds, and whether that fix may change behaviour."""

    NONE = "none"
    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True)
class Location:
    """A 1-based line/column span in a file (columns count characters, not bytes)."""

    path: Path
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Related:
    """Another place that explains a finding, e.g. the root-cause fixture in a conftest."""

    location: Location
    message: str


@dataclass(frozen=True)
class Finding:
    """One diagnostic produced by one rule at one location."""

    code: str
    name: str
    severity: Severity
    message: str
    location: Location
    fix: FixSafety = FixSafety.NONE
    related: tuple[Related, ...] = field(default_factory=tuple)
    # 1-based line of the statement holding the finding: a noqa comment there also counts.
    statement_line: int | None = None

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        return (str(loc.path), loc.line, loc.column, self.code)


@dataclass(frozen=True)
class FileError:
    """A file that could not be checked at all (unreadable, binary, undecodable, too deep)."""

    path: Path
    reason: str
