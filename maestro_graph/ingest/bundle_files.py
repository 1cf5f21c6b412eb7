"""Reading the files of a CSV bundle (plain or gzip-compressed), row by row.

A bundle is a folder of `<stem>.csv` or `<stem>.csv.gz` files with a header row.
The importer and the ML evaluation both read bundles through this one module.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from pathlib import Path

BUNDLE_STEMS = ("projects", "artifacts", "people", "uses", "members", "outcomes")


class BundleError(ValueError):
    """The bundle folder or one of its files cannot be read as documented."""


def bundle_file(bundle_dir: Path, stem: str) -> Path | None:
    """The path of `stem` in the bundle (`.csv` preferred over `.csv.gz`), or None."""
    for suffix in (".csv", ".csv.gz"):
        candidate = Path(bundle_dir) / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _open_text(path: Path) -> io.TextIOBase:
    if path.name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def iter_rows(bundle_dir: Path, stem: str, required: tuple[str, ...] = ()) -> Iterator[dict[str, str]]:
    """Yield each data row of `stem` as a dict keyed by the header.

    Yields nothing when the file is absent. Raises BundleError when a required
    column is missing from the header, so a wrong file fails before any write.
    """
    path = bundle_file(bundle_dir, stem)
    if path is None:
        return
    with _open_text(path) as handle:
        reader = csv.DictReader(handle)
        header = [name.strip() for name in (reader.fieldnames or [])]
        missing = [name for name in required if name not in header]
        if missing:
            raise BundleError(f"{path.name}: missing column(s) {', '.join(missing)}; header is {header}")
        reader.fieldnames = header
        for row in reader:
            yield {key: (value or "").strip() for key, value in row.items() if key is not None}
