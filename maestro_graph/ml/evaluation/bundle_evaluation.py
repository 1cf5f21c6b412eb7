"""`maestro-graph evaluate DIR`: the held-out protocol on a CSV bundle, end to end.

The bundle goes through the product's own path — imported into a scratch Neo4j,
read back out — before the protocol splits it, so what is measured is what the
service would learn from. The scratch server lives under the data dir and is
removed afterwards; the graph the service uses is never touched.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import neo4j

from maestro_graph.db import managed_neo4j, migrations
from maestro_graph.db.connection import Neo4jTarget, open_driver
from maestro_graph.ingest.bundle_files import BUNDLE_STEMS, BundleError, bundle_file, iter_rows
from maestro_graph.ingest.bundle_import import ImportReport, import_bundle
from maestro_graph.ml.training.graph_export import export_usage_graph
from maestro_graph.ml.usage_graph import UsageGraph
from maestro_graph.net import free_loopback_port
from maestro_graph.repositories import scratch_graph


@contextlib.contextmanager
def _scratch_driver(scratch_dir: Path) -> Iterator[neo4j.Driver]:
    """A driver to a fresh, migrated scratch Neo4j under `scratch_dir`, stopped and removed afterwards."""
    if scratch_dir.exists():
        managed_neo4j.stop(scratch_dir)
        shutil.rmtree(scratch_dir)
    conn = managed_neo4j.start(scratch_dir, bolt_port=free_loopback_port(), http_port=free_loopback_port())
    try:
        target = Neo4jTarget(conn.uri, conn.user, conn.password, "neo4j")
        with open_driver(target) as driver:
            migrations.migrate(driver, "neo4j")
            yield driver
    finally:
        managed_neo4j.stop(scratch_dir)
        shutil.rmtree(scratch_dir, ignore_errors=True)


def load_through_neo4j(bundle_dir: Path, scratch_dir: Path) -> tuple[UsageGraph, ImportReport]:
    """Import the bundle into a fresh scratch Neo4j and export the usage graph from it."""
    with _scratch_driver(scratch_dir) as driver:
        report = import_bundle(driver, "neo4j", bundle_dir)
        return export_usage_graph(driver, "neo4j"), report


def _without_outcomes(bundle_dir: Path, copy: Path) -> Path:
    """A copy of the bundle's files but its outcomes, in `copy`."""
    for stem in BUNDLE_STEMS:
        source = bundle_file(bundle_dir, stem)
        if stem == "outcomes" or source is None:
            continue
        if source.is_symlink() or not source.is_file():  # refused as the importer refuses it
            raise BundleError(f"{source.name}: not a regular file")
        shutil.copyfile(source, copy / source.name)
    return copy


def forward_pair(driver: neo4j.Driver, database: str, train_dir: Path, test_dir: Path) -> tuple[UsageGraph, UsageGraph]:
    """The train snapshot's graph with its outcomes and the test snapshot's graph without
    them, each imported into the (scratch) graph and read back; the graph is emptied before
    each import and left holding the test snapshot. The test graph a forward prediction
    scores knows nothing of how its projects fared: its outcomes file is never imported."""
    scratch_graph.clear(driver, database)
    import_bundle(driver, database, train_dir)
    train = export_usage_graph(driver, database)
    scratch_graph.clear(driver, database)
    with tempfile.TemporaryDirectory(prefix="maestro-forward-") as copy:
        import_bundle(driver, database, _without_outcomes(test_dir, Path(copy)))
    return train, export_usage_graph(driver, database)


def load_pair_through_neo4j(train_dir: Path, test_dir: Path, scratch_dir: Path) -> tuple[UsageGraph, UsageGraph]:
    """`forward_pair` in one fresh scratch Neo4j, removed afterwards."""
    with _scratch_driver(scratch_dir) as driver:
        return forward_pair(driver, "neo4j", train_dir, test_dir)


def read_outcomes(bundle_dir: Path) -> dict[str, float]:
    """project id -> 1.0 survived, 0.0 removed, from the bundle's outcomes file alone."""
    outcomes = {}
    for row in iter_rows(bundle_dir, "outcomes", required=("project_id",)):
        value = row.get("survived_next_release", row.get("success", ""))
        if value in ("0", "1"):
            outcomes[row["project_id"]] = float(value)
    return outcomes
