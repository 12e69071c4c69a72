"""Emitters: findings in, text out. Rules never format; emitters never decide."""

from __future__ import annotations

import os
from pathlib import Path


def display_path(path: Path, cwd: Path | None = None) -> str:
    """Relative to the working directory when under it, else absolute; always with ``/``."""
    cwd = cwd or Path.cwd()
    try:
        return path.absolute().relative_to(cwd.absolute()).as_posix()
    except ValueError:
        return os.fspath(path.absolute()).replace(os.sep, "/")
