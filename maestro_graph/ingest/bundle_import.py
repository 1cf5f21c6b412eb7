"""`maestro-graph import DIR`: a CSV bundle into the graph, in batched UNWIND writes.

Good rows are written even when others are bad; every rejected row is reported with
its file, line and reason. Writes are MERGEs, so importing twice adds nothing.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from queue import Queue
from threading import Thread
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import neo4j
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from maestro_graph.domain import InvalidInput
from maestro_graph.ingest import rows
from maestro_graph.ingest.bundle_files import BUNDLE_STEMS, BundleError, bundle_file, iter_rows
from maestro_graph.repositories import edges, nodes


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


@dataclass(frozen=True)
class _Step:
    stem: str
    required: tuple[str, ...]
    parse: Callable[[dict[str, str]], dict[str, Any]]
    query: str
    # For edges: (id column, label) of each endpoint, to name the unknown one in a rejection.
    endpoints: tuple[tuple[str, str], ...] = ()


# Nodes before the edges that join them; outcomes last, they annotate projects.
# The node files write disjoint labels, so they run side by side; edge files lock the
# nodes they join and would deadlock each other, so they run one after the other.
STEPS = (
    _Step("projects", ("project_id", "name"), rows.project, nodes.UPSERT["Project"]),
    _Step("artifacts", ("artifact_id", "name"), rows.artifact, nodes.UPSERT["Artifact"]),
    _Step("people", ("person_id",), rows.person, nodes.UPSERT["Person"]),
    _Step("uses", ("project_id", "artifact_id"), rows.uses, edges.UPSERT_USES,
          (("project_id", "Project"), ("artifact_id", "Artifact"))),
    _Step("members", ("person_id", "project_id"), rows.member, edges.UPSERT_MEMBER,
          (("person_id", "Person"), ("project_id", "Project"))),
    _Step("outcomes", ("project_id", "survived_next_release"), rows.outcome, edges.SET_OUTCOME,
          (("project_id", "Project"),)),
)
assert {step.stem for step in STEPS} == set(BUNDLE_STEMS)
PHASES = (STEPS[:3], STEPS[3:4], STEPS[4:5], STEPS[5:])


def _batches(items: Iterator[dict], size: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _prefetched(batches: Iterator[list[dict]], depth: int = 2) -> Iterator[list[dict]]:
    """Parse the next batches in a thread while Neo4j writes the current one."""
    done = object()
    queue: Queue = Queue(maxsize=depth)

    def produce() -> None:
        try:
            for batch in batches:
                queue.put(batch)
            queue.put(done)
        except BaseException as error:  # surfaced in the consumer, e.g. a BundleError
            queue.put(error)

    Thread(target=produce, daemon=True).start()
    while True:
        item = queue.get()
        if item is done:
            return
        if isinstance(item, BaseException):
            raise item
        yield item


class _Importer:
    def __init__(self, driver: neo4j.Driver, database: str, batch_size: int, progress: Progress | None):
        self.driver = driver
        self.database = database
        self.batch_size = batch_size
        self.progress = progress
        self.report = ImportReport()

    def _write(self, step: _Step, batch: list[dict]) -> set[int]:
        """Lines of `batch` that were written."""
        records, _, _ = self.driver.execute_query(step.query, rows=batch, database_=self.database)
        lines = {row["line"] for row in batch}
        if step.endpoints:
            return lines - set(records[0]["rejected"])
        # A node upsert (MERGE) writes every row it is given.
        return lines

    def _unknown_endpoint(self, step: _Step, row: dict) -> str:
        for column, label in step.endpoints:
            records, _, _ = self.driver.execute_query(
                nodes.EXISTING_IDS[label], ids=[row[column]], database_=self.database
            )
            if not records[0]["ids"]:
                return f"unknown {column} {row[column]!r}"
        return "not written"

    def _parsed(self, step: _Step, bundle_dir: Path, file_report: FileReport, name: str) -> Iterator[dict]:
        # Line 1 is the header, so the first data row is line 2, as an editor shows it.
        for line, raw in enumerate(iter_rows(bundle_dir, step.stem, step.required), start=2):
            file_report.read += 1
            try:
                parsed = step.parse(raw)
            except InvalidInput as error:
                file_report.rejected += 1
                self.report.rejections.append(Rejection(name, line, str(error)))
                continue
            parsed["line"] = line
            # A missing key reads as null in Cypher: absent values need not travel.
            yield {key: value for key, value in parsed.items() if value is not None}

    def run_step(self, step: _Step, bundle_dir: Path) -> None:
        path = bundle_file(bundle_dir, step.stem)
        if path is None:
            return
        file_report = self.report.files.setdefault(path.name, FileReport())
        task = self.progress.add_task(path.name, total=None) if self.progress else None
        for batch in _prefetched(_batches(self._parsed(step, bundle_dir, file_report, path.name), self.batch_size)):
            written = self._write(step, batch)
            file_report.written += len(written)
            for row in batch:
                if row["line"] not in written:
                    file_report.rejected += 1
                    self.report.rejections.append(Rejection(path.name, row["line"], self._unknown_endpoint(step, row)))
            if self.progress:
                self.progress.update(task, completed=file_report.read)
        if self.progress:
            self.progress.update(task, total=file_report.read, completed=file_report.read)


def import_bundle(
    driver: neo4j.Driver,
    database: str,
    bundle_dir: Path,
    batch_size: int = 5000,
    show_progress: bool = False,
) -> ImportReport:
    """Import every file of the bundle that is present; raises BundleError when none is."""
    bundle_dir = Path(bundle_dir)
    if not bundle_dir.is_dir():
        raise BundleError(f"{bundle_dir} is not a folder")
    if not any(bundle_file(bundle_dir, stem) for stem in BUNDLE_STEMS):
        raise BundleError(f"{bundle_dir} holds none of {', '.join(s + '.csv[.gz]' for s in BUNDLE_STEMS)}")
    # A missing required column fails the whole import before any write.
    for step in STEPS:
        next(iter_rows(bundle_dir, step.stem, step.required), None)

    started = time.perf_counter()
    progress = (
        Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        if show_progress
        else None
    )
    importer = _Importer(driver, database, batch_size, progress)
    if progress:
        progress.start()
    try:
        with ThreadPoolExecutor(max_workers=len(PHASES[0])) as pool:
            for phase in PHASES:
                # list() waits for the phase and re-raises the first error of any of its steps.
                list(pool.map(lambda step: importer.run_step(step, bundle_dir), phase))
    finally:
        if progress:
            progress.stop()
    importer.report.seconds = time.perf_counter() - started
    return importer.report
