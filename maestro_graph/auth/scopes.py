"""The scopes a token can carry, and what each implies.

Scopes nest: `admin` includes `write`, which includes `read`. A write returns data, so
a write-only token that could not read its own result would be of no use.
"""

from __future__ import annotations

from collections.abc import Iterable

READ = "read"
WRITE = "write"
ADMIN = "admin"
SUPPORTED = (READ, WRITE, ADMIN)

_IMPLIES = {READ: {READ}, WRITE: {READ, WRITE}, ADMIN: {READ, WRITE, ADMIN}}


def split(value: str | Iterable[str] | None) -> list[str]:
    """Scope names from a space-separated string (OAuth `scope`) or a list (the `scp` some issuers use)."""
    if value is None:
        return []
    items = value.split() if isinstance(value, str) else [item for item in value if isinstance(item, str)]
    return list(dict.fromkeys(items))


def effective(granted: Iterable[str]) -> frozenset[str]:
    """Everything the granted scopes allow; names we do not know grant nothing."""
    allowed: set[str] = set()
    for name in granted:
        allowed |= _IMPLIES.get(name, set())
    return frozenset(allowed)


def valid(value: str) -> list[str]:
    """Scopes for a new client: known names only, at least one."""
    names = split(value)
    unknown = [name for name in names if name not in SUPPORTED]
    if unknown:
        raise ValueError(f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(SUPPORTED)}")
    if not names:
        raise ValueError(f"at least one scope is required ({', '.join(SUPPORTED)})")
    return names
