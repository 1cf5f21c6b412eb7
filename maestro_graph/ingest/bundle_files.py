"""Reading the files of a CSV bundle (plain or gzip-compressed), record by record.

A bundle is a folder of `<stem>.csv` or `<stem>.csv.gz` files with a header row.
The importer and the ML evaluation both read bundles through this one module.

What a file may not do, and what the reader does about it:

- A file that cannot be read as a whole (not a regular file in the folder, unreadable,
  corrupt gzip, bytes that are not UTF-8, no header or a header without a required
  column) raises BundleError naming the file and line. The message never quotes the
  file: a bundle file may be a link to, or a copy of, something that is not for display.
- A record that cannot be used (longer than MAX_RECORD_CHARS, or a quoted field still
  open at the end of the file) comes back as a Record with a `problem`, and reading
  goes on with the next record. Memory stays bounded whatever the file holds: a line is
  never read whole past that limit.

Line numbers are physical lines, as an editor shows them (the header is line 1), also
when a quoted field spans several lines.
"""

from __future__ import annotations

import csv
import errno
import gzip
import io
import os
import re
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

BUNDLE_STEMS = (
    "projects",
    "artifacts",
    "people",
    "teams",
    "uses",
    "members",
    "created",
    "derived_from",
    "team_members",
    "outcomes",
)

# The csv module's own default field limit. A record is held to it as a whole, so no
# field can reach the csv module's limit and every over-long record is one rejected row.
MAX_RECORD_CHARS = 131_072

# The rest of an over-long record is read in pieces of this size, never whole.
_SKIP_CHUNK = 65_536
# A byte that is not UTF-8 is decoded to a lone surrogate (errors="surrogateescape"), so
# each line can be checked after decoding and the report names the line it is on; a
# strict decoder fails a whole read-ahead block, lines before the bad one.
_UNDECODABLE = re.compile("[\udc80-\udcff]")
_LINE_END = ("\r", "\n")


class BundleError(ValueError):
    """The bundle folder or one of its files cannot be read as documented."""


@dataclass(frozen=True)
class Record:
    """One data row: the line it starts on, its values by column, or why it cannot be used."""

    line: int
    values: dict[str, str]
    problem: str | None = None


def bundle_file(bundle_dir: Path, stem: str) -> Path | None:
    """The path of `stem` in the bundle (`.csv` preferred over `.csv.gz`), or None.

    Any entry of that name counts, so a link or a folder named `projects.csv` is
    refused when opened rather than skipped as if the file were absent.
    """
    for suffix in (".csv", ".csv.gz"):
        candidate = Path(bundle_dir) / f"{stem}{suffix}"
        if os.path.lexists(candidate):
            return candidate
    return None


def _why_unreadable(error: BaseException) -> str:
    """A reason that quotes nothing of the file: gzip's own messages include its first bytes."""
    if isinstance(error, (gzip.BadGzipFile, zlib.error)):
        return "is not valid gzip data"
    if isinstance(error, EOFError):
        return "ends in the middle of its gzip data"
    if isinstance(error, OSError) and error.errno:
        return f"cannot be read ({os.strerror(error.errno)})"
    return "cannot be read"


class BundleFile:
    """One file of a bundle, opened once and readable as many times as needed.

    Opened without following a symbolic link: the importer often runs with more rights
    than whoever assembled the folder, and a link would let the bundle name any file
    those rights can read. Reading again checks the file has not changed since it was
    opened, so what was validated is what gets written.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.name = self.path.name
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        try:
            # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
            self._fd = os.open(self.path, flags)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise BundleError(
                    f"{self.name}: is a symbolic link; a bundle file must be a regular file in the bundle folder"
                ) from None
            raise BundleError(f"{self.name}: {_why_unreadable(error)}") from None
        self._stat = os.fstat(self._fd)
        if not stat.S_ISREG(self._stat.st_mode):
            self.close()
            raise BundleError(f"{self.name}: is not a regular file")

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> BundleFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _text(self) -> io.TextIOWrapper:
        now = os.fstat(self._fd)
        if (now.st_size, now.st_mtime_ns) != (self._stat.st_size, self._stat.st_mtime_ns):
            raise BundleError(f"{self.name}: changed while the bundle was being imported")
        os.lseek(self._fd, 0, os.SEEK_SET)
        # Closed with the text wrapper that the caller closes; the descriptor stays open for the next read.
        raw: BinaryIO | gzip.GzipFile = open(self._fd, "rb", buffering=1 << 16, closefd=False)  # noqa: SIM115
        if self.name.endswith(".gz"):
            raw = gzip.GzipFile(fileobj=raw, mode="rb")
        # utf-8-sig: a byte-order mark, as spreadsheet exports write one, is not part of the header.
        return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")

    def records(self, required: tuple[str, ...] = ()) -> Iterator[Record]:
        """Every data record, in order. Raises BundleError where the file shows it cannot be
        read: before the first record for the header (a `required` column missing), at the
        offending line for bytes that are not UTF-8 or data that does not decompress."""
        with self._text() as text:
            lines = _Lines(text, self.name, min(MAX_RECORD_CHARS, csv.field_size_limit()))
            reader = csv.reader(lines)
            try:
                yield from self._records(reader, lines, required)
            except (OSError, EOFError, zlib.error) as error:
                where = f" after line {lines.line}" if lines.line else ""
                raise BundleError(f"{self.name}: {_why_unreadable(error)}{where}") from None
            except csv.Error:
                raise BundleError(f"{self.name}:{lines.record_line}: is not readable as CSV") from None

    def _records(self, reader: Iterator[list[str]], lines: _Lines, required: tuple[str, ...]) -> Iterator[Record]:
        header = self._header(reader, lines, required)
        width = len(header)
        while True:
            lines.start_record()
            try:
                values = next(reader)
            except StopIteration:
                return
            except _RecordTooLong:
                span = f" (lines {lines.record_line}-{lines.line})" if lines.line > lines.record_line else ""
                yield Record(
                    lines.record_line,
                    {},
                    f"row is longer than {lines.limit} characters{span}"
                    + ("; a quoted field is never closed" if lines.unclosed else ""),
                )
                continue
            if not values:  # a blank line
                continue
            if lines.unclosed:
                yield Record(lines.record_line, {}, "a quoted field is never closed")
                continue
            if len(values) < width:  # short rows leave the last columns empty, as csv.DictReader does
                values += [""] * (width - len(values))
            row = {name: value.strip() for name, value in zip(header, values, strict=False)}
            yield Record(lines.record_line, row)

    def _header(self, reader: Iterator[list[str]], lines: _Lines, required: tuple[str, ...]) -> list[str]:
        lines.start_record()
        try:
            header = [name.strip() for name in next(reader, [])]
        except _RecordTooLong:
            raise BundleError(f"{self.name}:1: the header is longer than {lines.limit} characters") from None
        if lines.unclosed:
            raise BundleError(f"{self.name}:1: the header opens a quoted field that is never closed")
        if not header:
            raise BundleError(f"{self.name}:1: no header row")
        missing = [name for name in required if name not in header]
        if missing:
            raise BundleError(f"{self.name}:1: missing column(s) {', '.join(missing)}")
        named = [name for name in header if name]  # trailing empty columns are common in exports
        if len(set(named)) < len(named):
            raise BundleError(f"{self.name}:1: the header names a column twice")
        return header


class _RecordTooLong(Exception):
    """Raised through csv.reader so that it drops the record; the lines are already skipped."""


# Where an excel-dialect CSV parser stands inside a line (doubled quotes, no escape char,
# lenient about text after a closing quote, as csv.reader is by default). OPEN: at the
# start of a field or just after a quote inside a quoted field; both go the same way on
# the next character, and at a line end both end the record.
_OPEN, _IN_FIELD, _IN_QUOTES = range(3)


def _advance(state: int, text: str) -> int:
    """The parser's state after `text` (a line's content, without its line end)."""
    position, end = 0, len(text)
    while position < end:
        if state == _IN_QUOTES:
            close = text.find('"', position)
            if close < 0:
                return _IN_QUOTES
            state, position = _OPEN, close + 1
        elif state == _OPEN:
            char = text[position]
            state = _IN_QUOTES if char == '"' else _OPEN if char == "," else _IN_FIELD
            position += 1
        else:
            comma = text.find(",", position)
            if comma < 0:
                return _IN_FIELD
            state, position = _OPEN, comma + 1
    return state


class _Lines:
    """The physical lines of a file as csv.reader pulls them, plus what csv.reader does not
    tell: the line each record starts on, whether the file ended inside a quoted field, and
    a bound on a record's length (past it the rest of the record is skipped, not held)."""

    def __init__(self, text: io.TextIOWrapper, name: str, limit: int):
        self._text = text
        self._name = name
        self.limit = limit
        self.line = 0  # the line the last piece read belongs to
        self.record_line = 1
        self.unclosed = False
        self._at_line_start = True
        self._pending = ""
        self._served = 0
        self._size = 0

    def start_record(self) -> None:
        self.record_line = self.line + 1
        self.unclosed = False
        self._served = 0
        self._size = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        piece = self._read(self.limit - self._size + 1)
        if not piece:
            # Asked for more within one record: csv.reader is inside a quoted field.
            self.unclosed = self._served > 0
            raise StopIteration
        if self._served == 0:
            self.record_line = self.line
        self._served += 1
        self._size += len(piece)
        if self._size > self.limit:
            self._skip_record(piece, _IN_QUOTES if self._served > 1 else _OPEN)
            raise _RecordTooLong
        return piece

    def _skip_record(self, piece: str, state: int) -> None:
        """Read past the end of the record that `piece` belongs to, tracking quotes as csv.reader would."""
        while True:
            ends_line = piece.endswith(_LINE_END)
            state = _advance(state, piece.rstrip("\r\n") if ends_line else piece)
            if ends_line and state != _IN_QUOTES:
                return
            piece = self._read(_SKIP_CHUNK)
            if not piece:
                self.unclosed = state == _IN_QUOTES
                return

    def _read(self, size: int) -> str:
        """At most about `size` characters of the current line, never split between the CR
        and LF of one line end, checked to be UTF-8 and counted into `line`."""
        if self._pending:
            piece, self._pending = self._pending, ""
            if not piece.endswith(_LINE_END) and size > len(piece):
                piece += self._text.readline(size - len(piece))
        else:
            piece = self._text.readline(size)
        if piece.endswith("\r"):
            # A size-limited readline may stop between "\r" and "\n"; look one character ahead.
            after = self._text.readline(1)
            if after == "\n":
                piece += after
            else:
                self._pending = after
        if not piece:
            return piece
        if self._at_line_start:
            self.line += 1
        self._at_line_start = piece.endswith(_LINE_END)
        if not piece.isascii() and _UNDECODABLE.search(piece):
            raise BundleError(f"{self._name}:{self.line}: is not UTF-8 text")
        return piece


def iter_rows(bundle_dir: Path, stem: str, required: tuple[str, ...] = ()) -> Iterator[dict[str, str]]:
    """Yield each usable data row of `stem` as a dict keyed by the header.

    Yields nothing when the file is absent; skips records that cannot be used (see
    Record.problem). Raises BundleError when the file cannot be read or a required
    column is missing from the header, before the first row.
    """
    path = bundle_file(bundle_dir, stem)
    if path is None:
        return
    with BundleFile(path) as source:
        for record in source.records(required):
            if record.problem is None:
                yield record.values
