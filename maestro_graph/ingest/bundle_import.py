"""`maestro-graph import DIR`: a CSV bundle into the graph, in batched UNWIND writes.

Two passes over the files. The first reads every file and checks every row, writing
nothing: a bundle that cannot be read (not UTF-8, corrupt, a missing column, a file
that is a link) fails there and leaves the graph as it was. The second writes the rows
the first accepted. Both stream: memory holds a batch, the lines to leave out and, per
file, the ids seen so far, never the files.

Good rows are written even when others are bad; every rejected row is reported with its
file, line and reason. An id that repeats within a file keeps its first row; each later
one is rejected. Edge files may name one pair on several rows (each adds its kind or
role), so they have no duplicates to report. Writes are MERGEs, so importing twice adds
nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import neo4j
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from maestro_graph.domain import InvalidInput
from maestro_graph.graph_model import (
    ARTIFACT,
    CREATED,
    DERIVED_FROM,
    IN_TEAM,
    MEMBER_OF,
    PERSON,
    PROJECT,
    TEAM,
    USES,
    RelationshipType,
)
from maestro_graph.ingest import rows
from maestro_graph.ingest.bundle_files import BUNDLE_STEMS, BundleError, BundleFile, Record, bundle_file
from maestro_graph.iterables import batched, produced_ahead
from maestro_graph.repositories import edges, nodes

# Reasons quote the values they refuse; a report line stays readable however long the value.
_MAX_REASON_CHARS = 300
# How often the check moves its progress bar (a refresh per row would cost more than the row).
_PROGRESS_EVERY = 5000


@dataclass(frozen=True)
class Rejection:
    file: str
    line: int
    reason: str


@dataclass
class FileReport:
    read: int = 0
    written: int = 0
    rejected: int = 0


@dataclass
class ImportReport:
    files: dict[str, FileReport] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows_read(self) -> int:
        return sum(f.read for f in self.files.values())

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds else 0.0


# Writes one batch of parsed rows in the transaction given; answers the lines it rejected.
_Write = Callable[[neo4j.ManagedTransaction, list[dict[str, Any]]], list[int]]


@dataclass(frozen=True)
class Nodes:
    """A file whose rows ({id, props, created_at}) are nodes of `label` (nodes.UPSERT)."""

    label: str


@dataclass(frozen=True)
class Edges:
    """A file whose rows are `rel` edges between the ids its endpoint keys name (edges.UPSERT)."""

    rel: RelationshipType


@dataclass(frozen=True)
class Outcomes:
    """A file whose rows set the outcome of an existing project (edges.SET_OUTCOME)."""

    label: str = PROJECT.label
    key: str = "project_id"  # the row key of the project's id


# What a bundle file's rows become in the graph.
Target = Nodes | Edges | Outcomes


def _write_nodes(label: str) -> _Write:
    def write(tx: neo4j.ManagedTransaction, batch: list[dict[str, Any]]) -> list[int]:
        nodes.upsert_rows(tx, label, batch)
        return []  # a node upsert (MERGE) writes every row it is given

    return write


def _write_edges(rel: RelationshipType) -> _Write:
    def write(tx: neo4j.ManagedTransaction, batch: list[dict[str, Any]]) -> list[int]:
        return edges.upsert_rows(tx, rel, batch)

    return write


@dataclass(frozen=True)
class Step:
    stem: str
    required: tuple[str, ...]
    parse: Callable[[dict[str, str]], dict[str, Any]]
    target: Target
    # For files of one row per id: (column, key of the parsed row) of that id.
    unique: tuple[str, str] | None = None

    @property
    def write(self) -> _Write:
        if isinstance(self.target, Nodes):
            return _write_nodes(self.target.label)
        if isinstance(self.target, Edges):
            return _write_edges(self.target.rel)
        return edges.set_outcomes

    @property
    def endpoints(self) -> tuple[tuple[str, str], ...]:
        """(row key, label) of each node a row must find, to name the unknown one in a rejection."""
        if isinstance(self.target, Edges):
            rel = self.target.rel
            start_key, end_key = edges.ENDPOINT_KEYS[rel.name]
            return ((start_key, rel.start.label), (end_key, rel.end.label))
        if isinstance(self.target, Outcomes):
            return ((self.target.key, self.target.label),)
        return ()


# Nodes before the edges that join them; outcomes last, they annotate projects.
# The node files write disjoint labels, so they run side by side; edge files lock the
# nodes they join and would deadlock each other, so they run one after the other.
STEPS = (
    Step("projects", ("project_id", "name"), rows.project, Nodes(PROJECT.label), unique=("project_id", "id")),
    Step("artifacts", ("artifact_id", "name"), rows.artifact, Nodes(ARTIFACT.label), unique=("artifact_id", "id")),
    Step("people", ("person_id",), rows.person, Nodes(PERSON.label), unique=("person_id", "id")),
    Step("teams", ("team_id", "name"), rows.team, Nodes(TEAM.label), unique=("team_id", "id")),
    Step("uses", ("project_id", "artifact_id"), rows.uses, Edges(USES)),
    Step("members", ("person_id", "project_id"), rows.member, Edges(MEMBER_OF)),
    Step("created", ("person_id", "artifact_id"), rows.created, Edges(CREATED)),
    Step("derived_from", ("artifact_id", "source_id"), rows.derived_from, Edges(DERIVED_FROM)),
    Step("team_members", ("person_id", "team_id"), rows.team_member, Edges(IN_TEAM)),
    Step(
        "outcomes",
        ("project_id", "survived_next_release"),
        rows.outcome,
        Outcomes(),
        unique=("project_id", "project_id"),
    ),
)
assert {step.stem for step in STEPS} == set(BUNDLE_STEMS)
PHASES = (STEPS[:4], *((step,) for step in STEPS[4:]))


@dataclass
class Source:
    """A bundle file on its way through both passes."""

    step: Step
    file: BundleFile
    report: FileReport
    left_out: set[int] = field(default_factory=set)  # lines the check rejected


def unknown_endpoint(step: Step, row: dict, exists: Callable[[str, str], bool]) -> str:
    """Why `row` wrote nothing: the first of its endpoints for which `exists(label, id)` is false."""
    for column, label in step.endpoints:
        if not exists(label, row[column]):
            return f"unknown {column} {row[column]!r}"
    return "not written"


def _written_row(line: int, parsed: dict) -> dict:
    """A parsed row as the writers take it: with its `line`, and without keys whose value is None
    (a missing key reads as null in Cypher: absent values need not travel)."""
    return {**{key: value for key, value in parsed.items() if value is not None}, "line": line}


class BundleCheck:
    """The check of a bundle's rows, which writes nothing, and the report the import fills in:
    shared by `import` (below: a first pass, then a second that writes) and `import --initial`
    (`offline_import.py`: one pass, `checked`), so a row is accepted or rejected, with the same
    reason, whichever writes the graph."""

    def __init__(self, progress: Progress | None):
        self.progress = progress
        self.report = ImportReport()

    def reject(self, source: Source, line: int, reason: str) -> None:
        if len(reason) > _MAX_REASON_CHARS:
            reason = reason[: _MAX_REASON_CHARS - 1] + "…"
        source.report.rejected += 1
        self.report.rejections.append(Rejection(source.file.name, line, reason))

    def task(self, description: str) -> TaskID | None:
        return self.progress.add_task(description, total=None) if self.progress else None

    def advance(self, task: TaskID | None, completed: int, total: int | None = None) -> None:
        if self.progress is not None and task is not None:
            self.progress.update(task, completed=completed, total=total)

    def check(self, source: Source) -> None:
        """Parse every row of the file; note the ones to leave out. Raises BundleError when
        the file cannot be read at all."""
        for _ in self._checking(source):
            pass

    def checked(self, source: Source) -> Iterator[dict]:
        """`check` and `accepted` in one pass: each row is checked as `check` checks it (the same
        rejections, reasons and counts), and the accepted ones are yielded as `accepted` yields
        them. For a writer that holds what it writes until the whole bundle has been read, as
        `import --initial` holds its importer's CSV: reading and parsing every row once, not twice."""
        for line, parsed in self._checking(source):
            yield _written_row(line, parsed)

    def _checking(self, source: Source) -> Iterator[tuple[int, dict]]:
        """Every row of the file checked, the rejected ones noted; the accepted ones' lines and
        parsed values. Raises BundleError when the file cannot be read at all."""
        step = source.step
        first_line_of: dict[str, int] = {}
        task = self.task(f"checking {source.file.name}")
        for record in source.file.records(step.required):
            source.report.read += 1
            parsed, reason = (None, record.problem) if record.problem else self._parse(step, record, first_line_of)
            if reason is not None:
                source.left_out.add(record.line)
                self.reject(source, record.line, reason)
            if source.report.read % _PROGRESS_EVERY == 0:
                self.advance(task, source.report.read)
            if parsed is not None:
                yield record.line, parsed
        self.advance(task, source.report.read, source.report.read)

    @staticmethod
    def _parse(step: Step, record: Record, first_line_of: dict[str, int]) -> tuple[dict | None, str | None]:
        """The row parsed, or why it is left out."""
        try:
            parsed = step.parse(record.values)
        except InvalidInput as error:
            return None, str(error)
        if step.unique is None:
            return parsed, None
        column, key = step.unique
        first = first_line_of.setdefault(parsed[key], record.line)
        if first != record.line:
            return None, f"duplicate {column} {parsed[key]!r} (first on line {first}, which is kept)"
        return parsed, None

    @staticmethod
    def accepted(source: Source) -> Iterator[dict]:
        """The rows the first pass accepted, parsed, each with its `line`; keys whose value is
        None are left out (a missing key reads as null in Cypher: absent values need not travel)."""
        for record in source.file.records(source.step.required):
            if record.line in source.left_out:
                continue
            # The first pass parsed this row already; the file is unchanged since (BundleFile checks).
            yield _written_row(record.line, source.step.parse(record.values))

    def finish(self, sources: dict[str, Source], started: float) -> ImportReport:
        """The report, its rejections in file order then line order, timed from `started`."""
        order = {source.file.name: index for index, source in enumerate(sources.values())}
        self.report.rejections.sort(key=lambda rejection: (order[rejection.file], rejection.line))
        self.report.seconds = time.perf_counter() - started
        return self.report


@contextmanager
def checked_bundle(bundle_dir: Path, show_progress: bool = False) -> Iterator[tuple[BundleCheck, dict[str, Source]]]:
    """Open every bundle file present and run the first pass over each; yields the check (its
    report holds the rows read and rejected so far) and the files by stem, in STEPS order, open
    for the second pass. Raises BundleError when the folder holds no bundle file or one cannot
    be read; then nothing was written."""
    with opened_bundle(bundle_dir, show_progress) as (bundle, sources):
        try:
            for source in sources.values():
                bundle.check(source)
        except BundleError as error:
            raise BundleError(f"{error}; nothing was imported") from None
        yield bundle, sources


@contextmanager
def opened_bundle(bundle_dir: Path, show_progress: bool = False) -> Iterator[tuple[BundleCheck, dict[str, Source]]]:
    """Open every bundle file present, reading no row yet; yields an empty check and the files
    by stem, in STEPS order. Raises BundleError when the folder holds no bundle file or one
    cannot be opened."""
    bundle_dir = Path(bundle_dir)
    if not bundle_dir.is_dir():
        raise BundleError(f"{bundle_dir} is not a folder")
    present = [(step, path) for step in STEPS if (path := bundle_file(bundle_dir, step.stem)) is not None]
    if not present:
        raise BundleError(f"{bundle_dir} holds none of {', '.join(s + '.csv[.gz]' for s in BUNDLE_STEMS)}")
    progress = (
        Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        if show_progress
        else None
    )
    bundle = BundleCheck(progress)
    with ExitStack() as stack:
        if progress:
            stack.enter_context(progress)
        try:
            sources = {}
            for step, path in present:
                file = stack.enter_context(BundleFile(path))
                sources[step.stem] = Source(step, file, bundle.report.files.setdefault(file.name, FileReport()))
        except BundleError as error:
            raise BundleError(f"{error}; nothing was imported") from None
        yield bundle, sources


class _Importer:
    """The second pass of `import`: the accepted rows written in batched UNWIND transactions."""

    def __init__(self, driver: neo4j.Driver, database: str, batch_size: int, bundle: BundleCheck):
        self.driver = driver
        self.database = database
        self.batch_size = batch_size
        self.bundle = bundle

    def _write(self, step: Step, batch: list[dict]) -> set[int]:
        """Lines of `batch` that were written."""
        with self.driver.session(database=self.database) as session:
            rejected = session.execute_write(step.write, batch)
        return {row["line"] for row in batch} - set(rejected)

    def _unknown_endpoint(self, step: Step, row: dict) -> str:
        with self.driver.session(database=self.database) as session:

            def exists(label: str, node_id: str) -> bool:
                return session.execute_read(nodes.exists, label, node_id)

            return unknown_endpoint(step, row, exists)

    def write(self, source: Source) -> None:
        step, file_report = source.step, source.report
        task = self.bundle.task(source.file.name)
        for batch in produced_ahead(batched(self.bundle.accepted(source), self.batch_size)):
            written = self._write(step, batch)
            file_report.written += len(written)
            for row in batch:
                if row["line"] not in written:
                    self.bundle.reject(source, row["line"], self._unknown_endpoint(step, row))
            self.bundle.advance(task, file_report.written + file_report.rejected)
        self.bundle.advance(task, file_report.read, file_report.read)


def import_bundle(
    driver: neo4j.Driver,
    database: str,
    bundle_dir: Path,
    batch_size: int = 5000,
    show_progress: bool = False,
) -> ImportReport:
    """Import every file of the bundle that is present.

    Raises BundleError when the folder holds no bundle file, or when one cannot be read;
    then nothing is written.
    """
    started = time.perf_counter()
    with checked_bundle(bundle_dir, show_progress) as (bundle, sources):
        importer = _Importer(driver, database, batch_size, bundle)
        try:
            with ThreadPoolExecutor(max_workers=len(PHASES[0])) as pool:
                for phase in PHASES:
                    present_in_phase = [sources[step.stem] for step in phase if step.stem in sources]
                    # list() waits for the phase and re-raises the first error of any of its steps.
                    list(pool.map(importer.write, present_in_phase))
        except BundleError as error:  # only when a file changed after the first pass read it
            raise BundleError(f"{error}; rows written before this stay in the graph") from None
    return bundle.finish(sources, started)
