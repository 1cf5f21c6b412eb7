"""`maestro-graph export DIR`: the graph as a CSV bundle that `maestro-graph import` reads back.

Every file has the columns the importer reads (`ingest/rows.py`), so export → import into an
empty graph rebuilds the same projects, artifacts, people, teams, their relationships (USES,
MEMBER_OF, CREATED, DERIVED_FROM, IN_TEAM) and outcomes, property for property. What a bundle
has no file or column for stays out, and is named in NOT_EXPORTED; `maestro-graph backup`
copies everything.

Files are written one after the other, each from its own read: on a graph being written
meanwhile they need not agree with each other (an edge may name a node exported just
before it was written). For a point-in-time copy, use `backup`.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import neo4j
import neo4j.time

from maestro_graph.ingest.bundle_files import BUNDLE_STEMS
from maestro_graph.repositories import bundle_export

# What the bundle format has no place for. Kept in the graph, and in `backup` archives.
NOT_EXPORTED = (
    "embeddings and properties the bundle has no column for",
    "process metrics, git history, deployments and pipeline runs",
    "model versions and their predictions",
    "OAuth clients, signing keys, revoked tokens, webhook integrations and deliveries",
    "audit events and migration records",
)

COLUMNS = {
    "projects": ("project_id", "name", "description", "section", "tags", "status", "created_at"),
    "artifacts": ("artifact_id", "name", "kind", "description", "section", "version", "uri", "created_at"),
    "people": ("person_id", "kind", "name", "created_at"),
    "teams": ("team_id", "name", "description", "created_at"),
    "uses": ("project_id", "artifact_id", "kind", "count", "context", "used_at"),
    "members": ("person_id", "project_id", "role", "since"),
    "created": ("person_id", "artifact_id", "at"),
    "derived_from": ("artifact_id", "source_id"),
    "team_members": ("person_id", "team_id"),
    "outcomes": ("project_id", "survived_next_release"),
}
assert tuple(COLUMNS) == BUNDLE_STEMS


class ExportError(RuntimeError):
    """The bundle cannot be written where asked; nothing was written."""


@dataclass
class ExportReport:
    rows: dict[str, int] = field(default_factory=dict)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):  # tags: the bundle's comma-separated form
        return ",".join(str(item) for item in value)
    if isinstance(value, (neo4j.time.DateTime, neo4j.time.Date)):
        return value.iso_format()
    return str(value)


def _target(directory: Path) -> Path:
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ExportError(f"{directory} exists and is not an empty folder; name a new one")
    try:
        # The bundle holds the graph's data: for its owner only, as the data dir is.
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise ExportError(f"cannot create {directory}: {error.strerror}") from None
    return directory


def export_bundle(driver: neo4j.Driver, database: str, directory: Path) -> ExportReport:
    """Write `<stem>.csv` for every bundle file into `directory` (new or empty)."""
    directory = _target(directory)
    report = ExportReport()
    for stem, columns in COLUMNS.items():
        path = directory / f"{stem}.csv"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with open(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            count = 0
            for row in bundle_export.rows(driver, database, stem):
                writer.writerow([_cell(row[column]) for column in columns])
                count += 1
        report.rows[stem] = count
    return report
