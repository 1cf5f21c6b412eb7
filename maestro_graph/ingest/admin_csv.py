"""Tables in the CSV that Neo4j's offline importer reads (`neo4j-admin database import full`):
one file of nodes of a label, or of relationships of a type, written row by row.

A row's properties are written as the driver would send them from Python: str as a string,
int as a long, bool, float, an aware datetime as a datetime with its offset, a list of strings
as a string array. Each file's header lives in a file of its own, written when the table is
closed: a column is added when a property first appears, so rows need not be known in advance
(a row written before a column existed is short, which the importer reads as no value there).

What this CSV cannot say comes back from `add` instead of being written, for the caller to set
some other way: an empty string or list (the importer reads an empty field as no property), a
list with a string holding the array delimiter, a value of another type than its column's, or
any other type.
"""

from __future__ import annotations

import csv
import math
import os
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

# Between the strings of an array: a control character that text rarely holds; a value that does
# hold it is handed back by `add`. Passed to the importer as `--array-delimiter=U+001F`.
ARRAY_DELIMITER = "\x1f"
ARRAY_DELIMITER_ARGUMENT = f"U+{ord(ARRAY_DELIMITER):04X}"
# Rows end in CRLF, which the importer reads as it reads LF: the csv writer quotes a field holding
# any character of its line terminator, so a lone carriage return in a value is quoted too.
_LINE_END = "\r\n"


def _typed(value: Any) -> tuple[str, str] | None:
    """(the importer's type name, the field's text) of `value`, or None when the CSV cannot hold it."""
    if isinstance(value, bool):
        return "boolean", "true" if value else "false"
    if isinstance(value, int):
        return "long", str(value)
    if isinstance(value, float):
        return ("double", repr(value)) if math.isfinite(value) else None
    if isinstance(value, str):
        return ("string", value) if value else None
    if isinstance(value, datetime):
        return ("datetime" if value.utcoffset() is not None else "localdatetime"), value.isoformat()
    if isinstance(value, list) and value and all(isinstance(item, str) and item for item in value):
        if any(ARRAY_DELIMITER in item for item in value):
            return None
        return "string[]", ARRAY_DELIMITER.join(value)
    return None


class AdminCsvTable:
    """One `--nodes` or `--relationships` source: `<name>.header.csv` and `<name>.csv` in `folder`.

    `id_columns` are the header's first fields (e.g. `id:ID(Project)`, or `:START_ID(Person)` and
    `:END_ID(Project)`); each row gives their values, then its properties.
    """

    def __init__(self, folder: Path, name: str, id_columns: tuple[str, ...]):
        self.header_path = folder / f"{name}.header.csv"
        self.data_path = folder / f"{name}.csv"
        self._id_columns = id_columns
        self._columns: dict[str, str] = {}  # property name -> importer type, in column order
        # Whether a field spans lines: the importer reads such files more slowly, only when told to.
        self.multiline = False
        self.rows = 0
        fd = os.open(self.data_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._data: TextIO = open(fd, "w", encoding="utf-8", newline="", buffering=1 << 20)  # noqa: SIM115
        self._writer = csv.writer(self._data, lineterminator=_LINE_END)

    @property
    def argument(self) -> str:
        """The files as the importer's `--nodes=LABEL=` or `--relationships=TYPE=` value takes them."""
        return f"{self.header_path},{self.data_path}"

    def add(self, ids: tuple[str, ...], properties: dict[str, Any]) -> dict[str, Any]:
        """Write one row; answers the properties it could not write (None values are no property)."""
        fields = list(ids)
        values: dict[str, str] = {}
        left: dict[str, Any] = {}
        for key, value in properties.items():
            if value is None:
                continue
            typed = _typed(value)
            if typed is None or self._columns.setdefault(key, typed[0]) != typed[0]:
                left[key] = value
                continue
            values[key] = typed[1]
        if values:
            fields += [values.get(key, "") for key in self._columns]
            while fields[-1] == "":  # short rows: the columns after the last value are empty
                fields.pop()
        if not self.multiline and any("\n" in field or "\r" in field for field in fields):
            self.multiline = True
        self._writer.writerow(fields)
        self.rows += 1
        return left

    def close(self) -> None:
        self._data.close()
        header = [*self._id_columns, *(f"{key}:{kind}" for key, kind in self._columns.items())]
        fd = os.open(self.header_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(fd, "w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, lineterminator=_LINE_END).writerow(header)
