"""What a first import of a CSV bundle costs, as a newcomer meets it, beside what the same import
costs on a server that has imported before, and a baseline of one transaction per row; one run.

    python bench/import_bundle.py [BUNDLE_DIR] [--data-dir DIR] [--bolt-port N] [--no-serve]

On a managed Neo4j of its own, started fresh (its data dir is wiped first; NEO4J_URI is ignored,
so a real graph is never touched), each import is `maestro-graph import BUNDLE` in a process of
its own, as a user runs it:

1. first import: the server's first start, `maestro-graph serve --dev` running (unless
   --no-serve), then the import: the figure a newcomer sees;
2. re-import of the same bundle (idempotent: every MERGE finds its node or edge);
3. the graph wiped and imported again on the same, now warm, server;
4. the baseline: one USES row per transaction, on rows the import already placed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time
from pathlib import Path

from cli_import import CliImport, cli_import, fresh, gib, neo4j_cpu_split, neo4j_pid, peak_rss_kib, thread_cpu_seconds
from live_server import ServerProcess

from maestro_graph.db import managed_neo4j
from maestro_graph.db.connection import Neo4jTarget, open_driver
from maestro_graph.ingest import rows as row_parsers
from maestro_graph.ingest.bundle_files import iter_rows
from maestro_graph.repositories import edges

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BUNDLE = ROOT.parent / "shared" / "datasets" / "debian-bullseye"
DATA_DIR = Path("/tmp/maestro-import-bench")
BASELINE_ROWS = 2000
TARGET_ROWS_PER_S = 50_000


def wipe(driver) -> None:
    with driver.session(database="neo4j") as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


def baseline_rows_per_second(driver, bundle: Path) -> float:
    """The naive way: one USES row per transaction, on rows the bulk import already placed."""
    sample: list[dict] = []
    for raw in iter_rows(bundle, "uses"):
        sample.append({"line": len(sample), **row_parsers.uses(raw)})
        if len(sample) >= BASELINE_ROWS:
            break
    started = time.perf_counter()
    for row in sample:
        driver.execute_query(edges.UPSERT_USES, rows=[row], database_="neo4j")
    return len(sample) / (time.perf_counter() - started)


def measured_import(bundle: Path, data_dir: Path, bolt: int, http: int) -> tuple[CliImport, str]:
    """The import command, and where Neo4j's CPU went while it ran."""
    pid = neo4j_pid(data_dir)
    before = thread_cpu_seconds(pid)
    run = cli_import(bundle, data_dir, bolt, http)
    return run, neo4j_cpu_split(before, thread_cpu_seconds(pid))


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundle", nargs="?", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="wiped first")
    parser.add_argument("--bolt-port", type=int, default=18687)
    parser.add_argument("--no-serve", action="store_true", help="import with no `serve` running")
    args = parser.parse_args()
    bolt, http = args.bolt_port, args.bolt_port - 213
    rows: list[tuple[str, str]] = [("bundle", args.bundle.name), ("load average at start", load())]

    fresh(args.data_dir)
    started = time.perf_counter()
    conn = managed_neo4j.start(args.data_dir, bolt, http)
    rows.append(("Neo4j first start", f"{time.perf_counter() - started:.1f} s"))
    target = Neo4jTarget(conn.uri, conn.user, conn.password, "neo4j")
    try:
        with contextlib.ExitStack() as stack:
            if not args.no_serve:
                stack.enter_context(ServerProcess(target, args.data_dir))
            first, cpu = measured_import(args.bundle, args.data_dir, bolt, http)
            rows.append((f"rows read ({'serve running' if not args.no_serve else 'no serve'})", f"{first.rows:,}"))
            rows.append(("first import, fresh Neo4j", first.describe()))
            rows.append(("  Neo4j CPU during it", cpu))
            again, cpu = measured_import(args.bundle, args.data_dir, bolt, http)
            rows.append(("re-import (idempotent)", again.describe()))
            rows.append(("  Neo4j CPU during it", cpu))
            with open_driver(target) as driver:
                wipe(driver)
            warm, cpu = measured_import(args.bundle, args.data_dir, bolt, http)
            rows.append(("wiped, imported again on the warm server", warm.describe()))
            rows.append(("  Neo4j CPU during it", cpu))
            rows.append(("first import / warm import time", f"{first.seconds / warm.seconds:.2f}x"))
            with open_driver(target) as driver:
                baseline = baseline_rows_per_second(driver, args.bundle)
        rows.append(("baseline: one row per transaction", f"{baseline:,.0f} rows/s"))
        rows.append(("first import over baseline", f"{first.rows_per_second / baseline:.1f}x"))
        verdict = "met" if first.rows_per_second >= TARGET_ROWS_PER_S else "NOT met"
        rows.append(("target: first import", f"{TARGET_ROWS_PER_S:,} rows/s: {verdict}"))
        rows.append(("importer peak RSS (first import)", gib(first.peak_rss_kib)))
        rows.append(("Neo4j peak RSS", gib(peak_rss_kib(neo4j_pid(args.data_dir)))))
        rows.append(("load average at end", load()))
    finally:
        fresh(args.data_dir)
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
