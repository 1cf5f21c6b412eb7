"""Values read from Neo4j as the rest of the code wants them: temporal values as Python's own."""

from __future__ import annotations

from typing import Any


def native(value: Any) -> Any:
    """A driver date or time as Python's; anything else unchanged."""
    return value.to_native() if hasattr(value, "to_native") else value
