"""A request body read as JSON, refusing what would hurt the parser before it runs.

`json.loads` recurses once per level of nesting, so a body of 100,000 `[` ends in a
RecursionError deep inside the parser; the nesting is measured first by a linear scan of
the bytes, outside string literals, and refused over MAX_DEPTH. The body must be UTF-8,
as JSON sent over a network must be (RFC 8259 §8.1): `json.loads` given bytes would also
guess UTF-16 or UTF-32. Nor may an escape name half a UTF-16 surrogate pair (`"\\ud800"`):
JSON accepts it, but it is no character, and Neo4j cannot store it.
"""

from __future__ import annotations

import json
import re
from typing import Any

# Webhook payloads nest a handful of levels (GitHub's deepest are under 10); a deployment
# body's free-form parts get room to spare, far below the parser's recursion limit.
MAX_DEPTH = 64

_OPENERS = frozenset(b"[{")
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
# Any escaped surrogate, paired or not: only a body holding one needs the slower check.
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


class BadJsonBody(ValueError):
    """The body cannot be taken as JSON; the message says why, in words a client can act on."""


def nesting_depth(body: bytes, stop_above: int | None = None) -> int:
    """How deeply arrays and objects nest in `body`, counted without parsing it.

    Brackets inside strings are text, not structure. Escapes go first, `\\\\` before `\\"`, as
    a parser reads them left to right; every quote left then opens or closes a string, so
    every other piece between quotes is outside them. Those steps run at C speed whatever
    the body holds (a regular expression matching each string costs microseconds a match);
    only the brackets are counted one by one, up to `stop_above`.
    """
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    brackets = b"".join(unescaped.split(b'"')[::2]).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        depth += 1 if byte in _OPENERS else -1
        if depth > deepest:
            deepest = depth
            if stop_above is not None and deepest > stop_above:
                break
    return deepest


def parse(body: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """The JSON value in `body`, or BadJsonBody: not UTF-8, nested over `max_depth`, or not JSON."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadJsonBody("the body is not UTF-8") from None
    if nesting_depth(body, stop_above=max_depth) > max_depth:
        raise BadJsonBody(f"the body nests arrays and objects deeper than {max_depth} levels")
    try:
        value = json.loads(text)
    except ValueError:
        raise BadJsonBody("the body is not JSON") from None
    if _ESCAPED_SURROGATE.search(text) and _holds_lone_surrogate(value):
        raise BadJsonBody("the body escapes a lone UTF-16 surrogate, which is no character")
    return value


def _holds_lone_surrogate(value: Any) -> bool:
    # Paired escapes decode to one character; a lone one stays a surrogate, which UTF-8 refuses.
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
