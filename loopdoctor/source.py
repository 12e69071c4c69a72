"""Read a Python file the way the interpreter does: bytes, PEP 263 encoding, BOM, binary check."""

from __future__ import annotations

import io
import stat
import tokenize
from dataclasses import dataclass
from pathlib import Path

#: Larger files are reported as errors instead of parsed (a guard against generated blobs).
MAX_FILE_BYTES = 20 * 1024 * 1024


class UnreadableSource(Exception):
    """The file cannot be checked; ``str(exc)`` is a one-line reason for the ``errors`` list."""


@dataclass(frozen=True)
class SourceFile:
    """A decoded source file with helpers to turn ``ast`` byte offsets into character columns."""

    path: Path
    data: bytes
    text: str
    encoding: str

    @property
    def lines(self) -> list[str]:
        lines = self.__dict__.get("_lines")
        if lines is None:
            lines = self.text.splitlines(keepends=True)
            object.__setattr__(self, "_lines", lines)
        return lines

    def char_column(self, line: int, byte_col: int) -> int:
        """Convert ``ast``'s UTF-8 byte offset on ``line`` (1-based) to a 1-based char column."""
        lines = self.lines
        if not 1 <= line <= len(lines):
            return byte_col + 1
        text = lines[line - 1]
        if text.isascii():
            return byte_col + 1
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="replace")) + 1


def decode_source(path: Path, data: bytes) -> SourceFile:
    """Decode like the interpreter (BOM, coding cookie); refuse binary and undecodable files."""
    if b"\x00" in data:
        raise UnreadableSource("binary file (contains NUL bytes); not Python source")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            line = data[: bad.start].count(b"\n") + 1
            raise UnreadableSource(
                f"cannot decode as utf-8 (byte 0x{data[bad.start]:02x} on line {line}) and no "
                "PEP 263 coding declaration"
            ) from None
        if data.startswith(b"\xef\xbb\xbf"):  # Python only says "encoding problem: utf-8"
            raise UnreadableSource(
                "UTF-8 BOM contradicts the file's coding declaration (Python refuses it)"
            ) from None
        raise UnreadableSource(f"invalid encoding declaration: {exc.msg}") from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:  # name the line, not a byte offset in the file
        line = data[: exc.start].count(b"\n") + 1
        raise UnreadableSource(
            f"cannot decode as {encoding} (byte 0x{data[exc.start]:02x} on line {line})"
        ) from None
    except LookupError as exc:
        raise UnreadableSource(f"cannot decode as {encoding}: {exc}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return SourceFile(path=path, data=data, text=text, encoding=encoding)


def read_source(path: Path) -> SourceFile:
    """Read and decode ``path``; every failure becomes :class:`UnreadableSource` with a reason."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # reading a fifo or /dev/zero would never end
            raise UnreadableSource("not a regular file (fifo, socket or device); skipped")
        size = info.st_size
        if size > MAX_FILE_BYTES:
            raise UnreadableSource(
                f"file too large ({size} bytes > {MAX_FILE_BYTES}); skipped to keep the run fast"
            )
        data = path.read_bytes()
    except PermissionError:
        raise UnreadableSource("permission denied") from None
    except IsADirectoryError:
        raise UnreadableSource("is a directory") from None
    except FileNotFoundError:
        raise UnreadableSource("file not found") from None
    except OSError as exc:
        raise UnreadableSource(f"cannot read: {exc.strerror or exc}") from None
    return decode_source(path, data)
