"""Relay cursors over offsets, and the page-size rules every connection obeys."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass

from maestro_graph.domain import InvalidInput

_PREFIX = "offset:"
# Offsets this API hands out are row numbers, so anything it could have made fits in a
# few digits. The cap keeps a forged offset far inside what Neo4j's SKIP takes (a 64-bit
# integer) and what the driver can send; a billion rows is beyond any graph paged here.
MAX_OFFSET = 1_000_000_000
# ASCII digits only: str.isdigit() also accepts "²" and other Unicode digits int() refuses.
_OFFSET = re.compile(r"[0-9]{1,10}")
# The longest cursor encode_cursor can make for MAX_OFFSET, with room to spare; longer
# input is refused before it is decoded.
_MAX_CURSOR_LENGTH = 64


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{offset}".encode()).decode()


def _not_a_cursor() -> InvalidInput:
    return InvalidInput("after", "is not a cursor from this API")


def decode_cursor(cursor: str) -> int:
    if len(cursor) > _MAX_CURSOR_LENGTH:
        raise _not_a_cursor()
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except ValueError:  # binascii.Error and UnicodeError among them
        raise _not_a_cursor() from None
    digits = text[len(_PREFIX) :] if text.startswith(_PREFIX) else ""
    if not _OFFSET.fullmatch(digits) or int(digits) > MAX_OFFSET:
        raise _not_a_cursor()
    return int(digits)


@dataclass(frozen=True)
class Window:
    skip: int
    limit: int


def window(first: int | None, after: str | None, default: int, maximum: int) -> Window:
    """The rows a `first/after` pair asks for; bad values are the caller's error, not clamped."""
    size = default if first is None else first
    if size < 0 or size > maximum:
        raise InvalidInput("first", f"must be between 0 and {maximum} (got {size})")
    skip = 0 if after is None else decode_cursor(after) + 1
    return Window(skip, size)


def bounded(value: int, maximum: int, field: str) -> int:
    """A size for a list that is not a connection (top k, a team): from 1 to `maximum`."""
    if value < 1 or value > maximum:
        raise InvalidInput(field, f"must be between 1 and {maximum} (got {value})")
    return value
