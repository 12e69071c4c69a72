"""Command-line flags of the runtime doctor and their ini twins.

Every flag has an ini key of the same name (dashes become underscores), so a
project can turn the doctor on in its config and a single run can override it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .record import format_size

DEFAULT_TOP = 10
DEFAULT_SLOW = 0.1
DEFAULT_SLOW_NO_DEBUG = 0.15
DEFAULT_MAX_GROWTH = 5 * 1024 * 1024

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "kib": 1024,
    "ki": 1024,
    "m": 1000**2,
    "mb": 1000**2,
    "mib": 1024**2,
    "mi": 1024**2,
    "g": 1000**3,
    "gb": 1000**3,
    "gib": 1024**3,
    "gi": 1024**3,
    "t": 1000**4,
    "tb": 1000**4,
    "tib": 1024**4,
    "ti": 1024**4,
}


def parse_size(value: str | int | float) -> int:
    """Parse "5MiB", "500KB", "1.5 GB" or a plain number of bytes into bytes."""
    if isinstance(value, (int, float)):
        return int(value)
    match = _SIZE_RE.match(str(value))
    if not match:
        raise ValueError(f"not a size: {value!r} (use e.g. 5MiB, 500KB or a number of bytes)")
    number, unit = match.group(1), (match.group(2) or "").lower()
    if unit not in _UNITS:
        raise ValueError(f"unknown size unit in {value!r}")
    return int(float(number) * _UNITS[unit])


# (flag, ini key, kind, help)
_FLAGS: list[tuple[str, str, str, str]] = [
    ("--loop-report", "loop_report", "bool", "print the loopdoctor runtime report"),
    ("--loop-report-json", "loop_report_json", "path", "write the runtime report as JSON"),
    ("--loop-report-html", "loop_report_html", "path", "write the runtime report as HTML"),
    ("--loop-report-top", "loop_report_top", "int", "tests shown per table (default 10)"),
    ("--loop-debug", "loop_debug", "bool", "asyncio debug mode on every loop (LR06)"),
    ("--loop-slow", "loop_slow", "float", "slow-callback threshold in seconds (0.1)"),
    ("--loop-strict", "loop_strict", "bool", "findings fail the test they belong to"),
    ("--loop-max-growth", "loop_max_growth", "size", "RSS growth per test (default 5MiB)"),
    ("--loop-gc", "loop_gc", "bool", "gc.collect() before each RSS reading (slow)"),
]


def addoption(parser: pytest.Parser) -> None:
    """Register the flags and their ini twins."""
    group = parser.getgroup("loopdoctor", "loopdoctor runtime doctor")
    for flag, ini, kind, help_text in _FLAGS:
        if kind == "bool":
            group.addoption(flag, action="store_true", default=None, dest=ini, help=help_text)
            parser.addini(ini, help_text, type="bool", default=False)
        else:
            group.addoption(flag, action="store", default=None, dest=ini, help=help_text)
            parser.addini(ini, help_text, default="")


@dataclass
class Settings:
    """The settings in force for one run."""

    report: bool = False
    json_path: str | None = None
    html_path: str | None = None
    top: int = DEFAULT_TOP
    debug: bool = False
    slow: float = DEFAULT_SLOW
    strict: bool = False
    max_growth: int = DEFAULT_MAX_GROWTH
    gc: bool = False
    slow_explicit: bool = False
    json_shown: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def slow_threshold(self) -> float:
        """Blocking longer than this is LR06; without debug mode only clear blocks count."""
        if self.slow_explicit or self.debug:
            return self.slow
        return DEFAULT_SLOW_NO_DEBUG

    @property
    def enabled(self) -> bool:
        """Whether any flag asks for measurements."""
        return bool(self.report or self.json_path or self.html_path or self.debug or self.strict)

    def header(self) -> str:
        """One line for the pytest report header."""
        parts = [
            f"json={self.json_shown or self.json_path}" if self.json_path else "json=off",
            f"top={self.top}",
            f"max-growth={format_size(self.max_growth).lstrip('+')}",
            f"debug={'on' if self.debug else 'off'}",
            f"slow>{self.slow_threshold}s",
            f"strict={'on' if self.strict else 'off'}",
            f"gc={'on' if self.gc else 'off'}",
        ]
        if self.html_path:
            parts.insert(1, f"html={self.html_path}")
        return "loopdoctor: loop report on (" + ", ".join(parts) + ")"

    def as_dict(self) -> dict[str, Any]:
        """Plain form for the JSON report."""
        return {
            "json_path": self.json_path,
            "html_path": self.html_path,
            "top": self.top,
            "debug": self.debug,
            "slow_callback_seconds": self.slow_threshold,
            "strict": self.strict,
            "max_growth": self.max_growth,
            "gc": self.gc,
        }


def _raw(config: pytest.Config, ini: str) -> Any:
    value = config.getoption(ini, default=None)
    if value is None:
        value = config.getini(ini)
    return value


def _json_path(config: pytest.Config, name: str = "loop_report_json") -> str | None:
    """Absolute report path (JSON, or HTML with ``name``): a flag is relative to where pytest
    was invoked, an ini key to the rootdir (tests may chdir before the report is written)."""
    flag = config.getoption(name, default=None)
    if flag:
        return str(Path(config.invocation_params.dir, flag))
    ini = str(config.getini(name) or "")
    if ini:
        return str(Path(config.rootpath, ini))
    return None


def settings_from_config(config: pytest.Config) -> Settings:
    """Flags win over ini keys; bad values fall back to defaults and are reported."""
    s = Settings()
    s.report = bool(_raw(config, "loop_report"))
    s.debug = bool(_raw(config, "loop_debug"))
    s.strict = bool(_raw(config, "loop_strict"))
    s.gc = bool(_raw(config, "loop_gc"))
    s.json_path = _json_path(config)
    s.html_path = _json_path(config, "loop_report_html")
    s.json_shown = str(_raw(config, "loop_report_json") or "") or None
    top = _raw(config, "loop_report_top")
    slow = _raw(config, "loop_slow")
    growth = _raw(config, "loop_max_growth")
    try:
        if top not in (None, ""):
            s.top = max(1, int(top))
    except ValueError:
        s.errors.append(f"--loop-report-top: not an integer: {top!r}")
    try:
        if slow not in (None, ""):
            s.slow = float(slow)
            s.slow_explicit = True
    except ValueError:
        s.errors.append(f"--loop-slow: not a number: {slow!r}")
    try:
        if growth not in (None, ""):
            s.max_growth = parse_size(growth)
    except ValueError as exc:
        s.errors.append(f"--loop-max-growth: {exc}")
    return s
