"""Neo4j's temporal values as the API answers them: Python's own."""

from __future__ import annotations

from typing import Any


def native(value: Any) -> Any:
    """A driver date or time as Python's; anything else unchanged."""
    return value.to_native() if hasattr(value, "to_native") else value
