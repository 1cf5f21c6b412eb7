"""Import throughput of `maestro-graph import` on a CSV bundle, against a baseline of
one transaction per row measured in the same run.

    python bench/import_bundle.py [BUNDLE_DIR]

Runs on its own managed Neo4j (data under ~/.cache/maestro-graph/bench-data, Bolt on
27687) and wipes it first; NEO4J_URI is ignored so a real graph is never touched.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

from maestro_graph.db import managed_neo4j, migrations
from maestro_graph.db.connection import Neo4jTarget, open_driver
from maestro_graph.ingest import rows as row_parsers
from maestro_graph.ingest.bundle_files import iter_rows
from maestro_graph.ingest.bundle_import import import_bundle
from maestro_graph.repositories import edges

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BUNDLE = ROOT.parent / "shared" / "datasets" / "debian-bullseye"
DATA_DIR = Path.home() / ".cache" / "maestro-graph" / "bench-data"
BASELINE_ROWS = 2000
TARGET_ROWS_PER_S = 20_000


def wipe(driver) -> None:
    with driver.session(database="neo4j") as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


def baseline_rows_per_second(driver, bundle: Path) -> float:
    """The naive way: one USES row per transaction, on rows the bulk import already placed."""
    sample = []
    for raw in iter_rows(bundle, "uses"):
        sample.append({"line": len(sample), **row_parsers.uses(raw)})
        if len(sample) >= BASELINE_ROWS:
            break
    started = time.perf_counter()
    for row in sample:
        driver.execute_query(edges.UPSERT_USES, rows=[row], database_="neo4j")
    return len(sample) / (time.perf_counter() - started)


def main() -> None:
    bundle = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_BUNDLE
    conn = managed_neo4j.start(DATA_DIR, bolt_port=27687, http_port=27474)
    target = Neo4jTarget(conn.uri, conn.user, conn.password, "neo4j")
    with open_driver(target) as driver:
        wipe(driver)
        migrations.migrate(driver, "neo4j")
        report = import_bundle(driver, "neo4j", bundle)
        rerun = import_bundle(driver, "neo4j", bundle)
        baseline = baseline_rows_per_second(driver, bundle)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("| measure | value |\n|---|---|")
    print(f"| bundle | {bundle.name} |")
    print(f"| rows read | {report.rows_read:,} |")
    print(f"| rows rejected | {len(report.rejections):,} |")
    print(f"| first import | {report.seconds:.1f} s, {report.rows_per_second:,.0f} rows/s |")
    print(f"| re-import (idempotent) | {rerun.seconds:.1f} s, {rerun.rows_per_second:,.0f} rows/s |")
    print(f"| baseline: one row per transaction | {baseline:,.0f} rows/s |")
    print(f"| speed-up over baseline | {report.rows_per_second / baseline:.1f}x |")
    print(
        f"| target | {TARGET_ROWS_PER_S:,} rows/s: "
        f"{'met' if report.rows_per_second >= TARGET_ROWS_PER_S else 'NOT met'} |"
    )
    print(f"| importer peak RSS (Python) | {peak_mib:.0f} MiB |")


if __name__ == "__main__":
    main()
