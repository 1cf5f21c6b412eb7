"""`maestro-graph import --initial DIR`: a first import into the managed Neo4j's empty database
with Neo4j's own offline importer (`neo4j-admin database import full`), which writes the store
files directly instead of running transactions.

The graph is the one `import` writes, derived from the same declarations:

- Each row is checked by `import`'s own check (`bundle_import.BundleCheck`): the same rows are
  rejected, with the same reasons, and never reach the store. Since the importer's CSV is
  scratch until the whole bundle has been read, one pass checks each file and writes its CSV
  (`BundleCheck.checked`); `import`, which writes the graph as it goes, reads every file once
  to check it before writing anything.
- What each file's rows become is its step's target (`bundle_import.STEPS`); what the write
  that creates a node or an edge sets is `nodes.created_properties` and
  `edges.created_properties`, beside the Cypher that sets it. An edge row whose endpoint is not
  among the accepted nodes is rejected as `import` rejects it.
- What the importer's CSV cannot hold is written after the server starts, through the same
  repository functions `import` uses: every row after the first one of a pair of nodes (it
  merges into that edge: `edges.upsert_rows`), and properties the CSV has no form for, such as
  an empty list (`admin_csv`).

The server stops for the import and starts again; then the migrations create the schema (its
constraints and indexes built over the imported nodes, and the schema's own records). Only for
the managed Neo4j, only into a database that holds no data: the store is replaced.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import neo4j

from maestro_graph.config import Settings
from maestro_graph.db import managed_neo4j, migrations
from maestro_graph.db.connection import Neo4jTarget, open_driver, resolve_target
from maestro_graph.graph_model import RelationshipType
from maestro_graph.ingest.admin_csv import ARRAY_DELIMITER_ARGUMENT, AdminCsvTable
from maestro_graph.ingest.bundle_files import BundleError
from maestro_graph.ingest.bundle_import import (
    BundleCheck,
    Edges,
    ImportReport,
    Nodes,
    Outcomes,
    Source,
    opened_bundle,
    unknown_endpoint,
)
from maestro_graph.iterables import batched
from maestro_graph.repositories import edges, nodes
from maestro_graph.repositories.graph_summary import data_nodes

# Beside the server's own directories, under the data dir (mode 0700): the CSV holds the whole bundle.
_SCRATCH = "initial-import"
# The last lines of neo4j-admin's output are what names a failure's cause.
_REPORT_LINES = 15


class InitialImportRefused(RuntimeError):
    """The import cannot start here (an external Neo4j, a graph that holds data); nothing changed."""


class InitialImportFailed(RuntimeError):
    """Neo4j's importer failed after the database was handed to it."""


@dataclass
class InitialImportReport(ImportReport):
    # Seconds per phase, in order: reading and checking the bundle while writing the CSV, the
    # server's stop, neo4j-admin, the start, the migrations, the writes after the start.
    phases: dict[str, float] = field(default_factory=dict)


@dataclass
class _Online:
    """What goes through the running server after the import, in this order."""

    # Properties the CSV could not hold: by label, rows of {id, props}; by relationship type,
    # rows of {start, end, props}.
    node_properties: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    edge_properties: list[tuple[RelationshipType, list[dict[str, Any]]]] = field(default_factory=list)
    # Each file's rows for a pair already joined by an earlier row, in line order.
    repeats: list[tuple[Edges, list[dict[str, Any]]]] = field(default_factory=list)


class _StoreWriter:
    """The one pass: each file's rows checked, the accepted ones into the importer's CSV (what
    it cannot hold noted for `_Online`)."""

    def __init__(self, bundle: BundleCheck, folder: Path, now: datetime):
        self.bundle = bundle
        self.folder = folder
        self.now = now  # `datetime()` of the writes that create nodes without a created_at
        self.tables: list[tuple[str, AdminCsvTable]] = []  # (--nodes or --relationships, table)
        # Ids of the nodes written, by label, each numbered (a pair of numbers keys an edge).
        self.known: dict[str, dict[str, int]] = {}
        self.online = _Online()

    def _table(self, option: str, name: str, id_columns: tuple[str, ...]) -> AdminCsvTable:
        table = AdminCsvTable(self.folder, f"{len(self.tables):02d}-{name}", id_columns)
        self.tables.append((f"{option}={name}", table))
        return table

    def _exists(self, label: str, node_id: str) -> bool:
        return node_id in self.known.get(label, {})

    def _rows(self, source: Source) -> Iterator[dict[str, Any]]:
        return self.bundle.checked(source)

    def outcomes(self, source: Source) -> dict[str, dict[str, Any]]:
        """The properties the file's rows set, by node id (written with the nodes)."""
        target = source.step.target
        assert isinstance(target, Outcomes)
        return {row[target.key]: row for row in self._rows(source)}

    def nodes(self, source: Source, annotations: dict[str, dict[str, Any]]) -> None:
        target = source.step.target
        assert isinstance(target, Nodes)
        label = target.label
        table = self._table("--nodes", label, (f"id:ID({label})",))
        known = self.known.setdefault(label, {})
        left_over: list[dict[str, Any]] = []
        self.online.node_properties.append((label, left_over))
        for row in self._rows(source):
            properties = nodes.created_properties(row, self.now)
            annotation = annotations.get(row["id"])
            if annotation is not None:
                properties.update(edges.outcome_properties(annotation))
            left = table.add((row["id"],), properties)
            if left:
                left_over.append({"id": row["id"], "props": left})
            known[row["id"]] = len(known)
            source.report.written += 1

    def annotated(self, source: Source, rows: dict[str, dict[str, Any]]) -> None:
        """Count the outcome rows written with their nodes; reject those whose node is unknown."""
        target = source.step.target
        assert isinstance(target, Outcomes)
        for node_id, row in rows.items():
            if self._exists(target.label, node_id):
                source.report.written += 1
            else:
                self.bundle.reject(source, row["line"], unknown_endpoint(source.step, row, self._exists))

    def edges(self, source: Source) -> None:
        target = source.step.target
        assert isinstance(target, Edges)
        rel = target.rel
        start_key, end_key = edges.ENDPOINT_KEYS[rel.name]
        starts, ends = self.known.get(rel.start.label, {}), self.known.get(rel.end.label, {})
        table = self._table("--relationships", rel.name, (f":START_ID({rel.start.label})", f":END_ID({rel.end.label})"))
        left_over: list[dict[str, Any]] = []
        self.online.edge_properties.append((rel, left_over))
        repeats: list[dict[str, Any]] = []
        joined: set[int] = set()
        for row in self._rows(source):
            start, end = starts.get(row[start_key]), ends.get(row[end_key])
            if start is None or end is None:
                self.bundle.reject(source, row["line"], unknown_endpoint(source.step, row, self._exists))
                continue
            source.report.written += 1
            pair = start << 32 | end
            if pair in joined:
                repeats.append(row)
                continue
            joined.add(pair)
            left = table.add((row[start_key], row[end_key]), edges.created_properties(rel, row))
            if left:
                left_over.append({"start": row[start_key], "end": row[end_key], "props": left})
        if repeats:
            self.online.repeats.append((target, repeats))

    def close(self) -> list[str]:
        """Close every table; answers the importer's arguments naming them."""
        for _, table in self.tables:
            table.close()
        arguments = [f"{option}={table.argument}" for option, table in self.tables]
        if any(table.multiline for _, table in self.tables):
            arguments.append("--multiline-fields=true")
        return arguments


def _write_store_csv(bundle: BundleCheck, sources: dict[str, Source], folder: Path) -> tuple[list[str], _Online]:
    writer = _StoreWriter(bundle, folder, datetime.now(UTC))
    annotations: dict[str, dict[str, dict[str, Any]]] = {}  # by label: the outcome rows by node id
    for source in sources.values():
        target = source.step.target
        if isinstance(target, Outcomes):
            annotations[target.label] = writer.outcomes(source)
    for source in sources.values():
        target = source.step.target
        if isinstance(target, Nodes):
            writer.nodes(source, annotations.get(target.label, {}))
    for source in sources.values():
        target = source.step.target
        if isinstance(target, Outcomes):
            writer.annotated(source, annotations[target.label])
        elif isinstance(target, Edges):
            writer.edges(source)
    return writer.close(), writer.online


def _write_online(driver: neo4j.Driver, database: str, online: _Online, batch_size: int) -> None:
    """Properties the CSV could not hold, then the rows that merge into edges already written."""
    with driver.session(database=database) as session:
        for label, rows in online.node_properties:
            for batch in batched(rows, batch_size):
                session.execute_write(nodes.set_properties_rows, label, batch)
        for rel, rows in online.edge_properties:
            for batch in batched(rows, batch_size):
                session.execute_write(edges.set_properties_rows, rel, batch)
        for target, rows in online.repeats:
            for batch in batched(rows, batch_size):
                rejected = session.execute_write(edges.upsert_rows, target.rel, batch)
                if rejected:  # both endpoints were imported: a repeat always finds them
                    raise InitialImportFailed(f"{target.rel.name} rows on lines {rejected[:10]} found no endpoint")


def _held(connection: managed_neo4j.Neo4jConnection, database: str) -> int:
    target = Neo4jTarget(connection.uri, connection.user, connection.password, database)
    with open_driver(target) as driver:
        return data_nodes(driver, database)


def _refuse_unless_empty(settings: Settings) -> None:
    """Refuse a data dir whose database holds data (starting its server to see, as `import` would)."""
    if not managed_neo4j.store_exists(settings.data_dir, settings.neo4j_database):
        return
    target = resolve_target(settings, start_managed=True)
    connection = managed_neo4j.Neo4jConnection(target.uri, target.user, target.password, None)
    _refuse_if_held(_held(connection, settings.neo4j_database))


def _refuse_if_held(held: int) -> None:
    if held:
        raise InitialImportRefused(
            f"the graph is not empty ({held:,} nodes); --initial replaces the whole database and so "
            "imports into an empty one only: use `import` without --initial to add to this graph"
        )


def _last_look(settings: Settings) -> Callable[[managed_neo4j.Neo4jConnection | None], None]:
    """The check made just before the server stops: still empty (a stopped server with a store
    cannot be looked at, and is refused)."""

    def look(connection: managed_neo4j.Neo4jConnection | None) -> None:
        if connection is not None:
            _refuse_if_held(_held(connection, settings.neo4j_database))
        elif managed_neo4j.store_exists(settings.data_dir, settings.neo4j_database):
            raise InitialImportRefused("the managed Neo4j stopped while the import was being prepared; run it again")

    return look


def _report_tail(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return "\n".join(lines[-_REPORT_LINES:])


# How the CSV is written (`admin_csv`), said to the importer rather than left to its defaults; and
# any bad entry fails the import, since every row was checked before.
_ADMIN_OPTIONS = (
    "--overwrite-destination=true",
    f"--array-delimiter={ARRAY_DELIMITER_ARGUMENT}",
    "--delimiter=,",
    '--quote="',
    "--legacy-style-quoting=false",
    "--trim-strings=false",
    "--ignore-empty-strings=false",
    "--normalize-types=true",
    "--bad-tolerance=0",
    "--skip-bad-relationships=false",
    "--skip-duplicate-nodes=false",
)


def _admin_import(
    settings: Settings, scratch: Path, arguments: list[str], phases: dict[str, float], on_phase: Callable[[str], None]
) -> None:
    """Stop the server, run neo4j-admin over the CSV in `scratch`, start the server again."""
    on_phase("stopping Neo4j")
    mark = time.perf_counter()
    with managed_neo4j.offline(settings.data_dir, before_stop=_last_look(settings)) as admin:
        phases["stop"] = time.perf_counter() - mark
        on_phase("neo4j-admin database import full")
        mark = time.perf_counter()
        report_file = f"--report-file={scratch / 'import.report'}"
        command = ["database", "import", "full", settings.neo4j_database, *_ADMIN_OPTIONS, report_file, *arguments]
        proc = admin.run(command)
        phases["neo4j-admin import"] = time.perf_counter() - mark
        on_phase("starting Neo4j")
        mark = time.perf_counter()
    # Started again on its own ports when it was running before; else on the settings' ports.
    resolve_target(settings, start_managed=True)
    phases["start"] = time.perf_counter() - mark
    if proc.returncode != 0:
        raise InitialImportFailed(
            f"neo4j-admin could not import the bundle; the database may now be empty "
            f"(run `maestro-graph migrate`, then import again):\n{_report_tail(proc.stdout + proc.stderr)}"
        )


def import_initial(
    settings: Settings,
    bundle_dir: Path,
    batch_size: int = 5000,
    show_progress: bool = False,
    on_phase: Callable[[str], None] = lambda phase: None,
) -> InitialImportReport:
    """Import the bundle into the managed Neo4j's empty database with Neo4j's offline importer;
    the server runs afterwards, its schema migrated. `on_phase` hears each phase's name as it
    begins, after the bundle has been read, checked and written as the importer's CSV (which
    `show_progress` shows).

    Raises InitialImportRefused (an external Neo4j, a graph that holds data) and BundleError (a
    bundle that cannot be read) before anything is stopped or written; InitialImportFailed when
    neo4j-admin fails, and Neo4jServerError when the server cannot be stopped or started.
    """
    if settings.neo4j_uri:
        raise InitialImportRefused(
            f"NEO4J_URI is set ({settings.neo4j_uri}): --initial works on the managed Neo4j only "
            "(it stops the server and replaces its store); use `import` without --initial"
        )
    _refuse_unless_empty(settings)
    scratch = managed_neo4j.admin_tool(settings.data_dir).home / _SCRATCH
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(mode=0o700)
    phases: dict[str, float] = {}
    started = time.perf_counter()
    try:
        with opened_bundle(bundle_dir, show_progress) as (bundle, sources):
            try:
                arguments, online = _write_store_csv(bundle, sources, scratch)
            except BundleError as error:  # a file that cannot be read: the server was not stopped
                raise BundleError(f"{error}; nothing was imported") from None
            phases["read, check and CSV"] = time.perf_counter() - started
        # Without a node there is nothing to import (the importer wants one): the graph stays empty.
        if any(argument.startswith("--nodes=") for argument in arguments):
            _admin_import(settings, scratch, arguments, phases, on_phase)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    target = resolve_target(settings, start_managed=True)
    with open_driver(target) as driver:
        on_phase("migrations")
        mark = time.perf_counter()
        migrations.migrate(driver, settings.neo4j_database)  # waits for the indexes over the imported nodes
        phases["migrations"] = time.perf_counter() - mark
        on_phase("writes after the start")
        mark = time.perf_counter()
        _write_online(driver, settings.neo4j_database, online, batch_size)
        phases["online writes"] = time.perf_counter() - mark
    imported = bundle.finish(sources, started)
    return InitialImportReport(imported.files, imported.rejections, imported.seconds, phases)
