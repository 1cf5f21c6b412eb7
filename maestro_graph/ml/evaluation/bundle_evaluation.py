"""`maestro-graph evaluate DIR`: the held-out protocol on a CSV bundle, end to end.

The bundle goes through the product's own path — imported into a scratch Neo4j,
read back out — before the protocol splits it, so what is measured is what the
service would learn from. The scratch server lives under the data dir and is
removed afterwards; the graph the service uses is never touched.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from maestro_graph.db import managed_neo4j, migrations
from maestro_graph.db.connection import Neo4jTarget, open_driver
from maestro_graph.ingest.bundle_import import ImportReport, import_bundle
from maestro_graph.ml.training.graph_export import export_usage_graph
from maestro_graph.ml.usage_graph import UsageGraph
from maestro_graph.net import free_loopback_port


def load_through_neo4j(bundle_dir: Path, scratch_dir: Path) -> tuple[UsageGraph, ImportReport]:
    """Import the bundle into a fresh scratch Neo4j and export the usage graph from it."""
    if scratch_dir.exists():
        managed_neo4j.stop(scratch_dir)
        shutil.rmtree(scratch_dir)
    conn = managed_neo4j.start(scratch_dir, bolt_port=free_loopback_port(), http_port=free_loopback_port())
    try:
        target = Neo4jTarget(conn.uri, conn.user, conn.password, "neo4j")
        with open_driver(target) as driver:
            migrations.migrate(driver, "neo4j")
            report = import_bundle(driver, "neo4j", bundle_dir)
            graph = export_usage_graph(driver, "neo4j")
    finally:
        managed_neo4j.stop(scratch_dir)
        shutil.rmtree(scratch_dir, ignore_errors=True)
    return graph, report
