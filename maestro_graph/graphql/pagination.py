"""Relay cursors over offsets, and the page-size rules every connection obeys."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from maestro_graph.domain import InvalidInput

_PREFIX = "offset:"


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{offset}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInput("after", "is not a cursor from this API") from None
    if not text.startswith(_PREFIX) or not text[len(_PREFIX):].isdigit():
        raise InvalidInput("after", "is not a cursor from this API")
    return int(text[len(_PREFIX):])


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
