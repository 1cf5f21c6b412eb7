"""Batches of rows sent as one query parameter (`UNWIND $rows`), without a text copy of them.

The driver builds the text of a debug log line for every query it runs, `repr()` of each
parameter included, before logging decides whether debug lines are wanted at all: for a batch
of 2,048 sentence vectors that took ten times the CPU of encoding and sending them, and for the
importer's batches a share of every row's cost (`python bench/driver_parameters.py`). A `Rows`
is a list like any other to the driver's encoder; its `repr` is a count.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class Rows(list):
    """A list of parameter rows whose text form, in a driver's log line, is their count."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<{len(self)} rows>"


def rows(values: Iterable[Any]) -> Rows:
    """`values` as a `Rows` (the same object when it already is one)."""
    return values if isinstance(values, Rows) else Rows(values)
