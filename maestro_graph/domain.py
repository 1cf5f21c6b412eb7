"""The vocabulary of the graph and the rules every write obeys, whether it comes
from the API, the bulk importer or the demo seed."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable

# The vocabularies are part of the graph's declaration; the rules below check values against them.
from maestro_graph.graph_model import ARTIFACT_KINDS, MEMBER_ROLES, PERSON_KINDS, PROJECT_STATUSES

__all__ = ["ARTIFACT_KINDS", "MEMBER_ROLES", "PERSON_KINDS", "PROJECT_STATUSES"]

MAX_ID_LENGTH = 200
MAX_NAME_LENGTH = 300
MAX_TEXT_LENGTH = 10_000
MAX_TAGS = 100
# Neo4j stores 64-bit signed integers; the driver refuses a larger Python int.
MAX_INTEGER = 2**63 - 1
_MAX_INTEGER_DIGITS = len(str(MAX_INTEGER))
# Reasons quote the value they refuse, cut to this many characters.
_QUOTED_CHARS = 60
# Ids are opaque, but printable and free of whitespace so they survive URLs, CSV and logs.
_ID_PATTERN = re.compile(r"^[^\s\x00-\x1f\x7f]+$")


class InvalidInput(ValueError):
    """A value breaks a rule; `field` names where, the message says what."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


class NotFound(LookupError):
    """A node (or relationship) the caller named is not in the graph; `field` names the input."""

    def __init__(self, label: str, node_id: str, field: str | None = None):
        super().__init__(f"{label} {node_id!r} does not exist")
        self.label = label
        self.node_id = node_id
        self.field = field


def quoted(value: object) -> str:
    """`value` as a reason for refusing it quotes it: its repr, a long string cut short."""
    if isinstance(value, str) and len(value) > _QUOTED_CHARS:
        value = value[:_QUOTED_CHARS] + "…"
    return repr(value)


def valid_id(value: object, field: str = "id") -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(field, "must be a non-empty string")
    value = value.strip()
    if len(value) > MAX_ID_LENGTH:
        raise InvalidInput(field, f"must be at most {MAX_ID_LENGTH} characters")
    if not _ID_PATTERN.match(value):
        raise InvalidInput(field, "must not contain whitespace or control characters")
    return value


def valid_name(value: object, field: str = "name") -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(field, "must be a non-empty string")
    if len(value) > MAX_NAME_LENGTH:
        raise InvalidInput(field, f"must be at most {MAX_NAME_LENGTH} characters")
    return value.strip()


def valid_text(value: object, field: str) -> str | None:
    """Optional free text: None or empty means absent."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(field, "must be a string")
    if len(value) > MAX_TEXT_LENGTH:
        raise InvalidInput(field, f"must be at most {MAX_TEXT_LENGTH} characters")
    return value.strip() or None


def valid_indexed_text(value: object, field: str) -> str | None:
    """Optional text that a range index covers (`cypher/migrations`: a project's section, a
    person's name): held to the name length, since Neo4j refuses an index entry over about
    8 kB and would fail the whole write the value is part of."""
    text = valid_text(value, field)
    if text is not None and len(text) > MAX_NAME_LENGTH:
        raise InvalidInput(field, f"must be at most {MAX_NAME_LENGTH} characters")
    return text


def valid_choice(value: object, choices: Iterable[str], field: str) -> str:
    choices = tuple(choices)
    if not isinstance(value, str) or value.strip().lower() not in choices:
        raise InvalidInput(field, f"must be one of {', '.join(choices)} (got {value!r})")
    return value.strip().lower()


def valid_tags(value: object, field: str = "tags") -> list[str]:
    """Tags as a list; a single string is split on commas (the CSV bundle's form)."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise InvalidInput(field, "must be a list of strings")
    tags = []
    for item in items:
        if not isinstance(item, str):
            raise InvalidInput(field, "must be a list of strings")
        tag = item.strip()
        if tag and tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise InvalidInput(field, f"at most {MAX_TAGS} tags")
    if any(len(tag) > MAX_NAME_LENGTH for tag in tags):
        raise InvalidInput(field, f"each tag must be at most {MAX_NAME_LENGTH} characters")
    return tags


def _ascii_int(text: str) -> int | None:
    """`text` read as digits 0-9, or None. str.isdigit() alone is not the test: it accepts "²",
    which int() refuses, and int() itself reads "١٢" and "1_000". The length check comes
    first, so int() never parses a huge string."""
    digits = text.lstrip("0") or "0"
    if not (text.isascii() and text.isdigit()) or len(digits) > _MAX_INTEGER_DIGITS:
        return None
    return int(digits)


def valid_count(value: object, field: str = "count") -> int:
    """A non-negative integer Neo4j can store: an int, or a string of the digits 0-9 (a CSV cell)."""
    if isinstance(value, str):
        value = value.strip()
    number = _ascii_int(value) if isinstance(value, str) else value
    if not isinstance(number, int) or isinstance(number, bool) or not 0 <= number <= MAX_INTEGER:
        raise InvalidInput(
            field, f"must be a non-negative integer in digits 0-9, at most {MAX_INTEGER} (got {quoted(value)})"
        )
    return number


def valid_outcome(value: object, field: str = "survived_next_release") -> int:
    """A success label: 1 (succeeded) or 0 (failed)."""
    text = str(value).strip().lower() if value is not None else ""
    if text in ("1", "true", "1.0"):
        return 1
    if text in ("0", "false", "0.0"):
        return 0
    raise InvalidInput(field, f"must be 0 or 1 (got {value!r})")


def hash_email(email: str) -> str:
    """How an email address is stored: SHA-256 of the trimmed, lowercased address, never the address."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def valid_score(value: object, field: str) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise InvalidInput(field, "must be a finite number")
    return float(value)
