"""How long `maestro-graph serve` takes from launch until it serves, against a baseline measured
in the same run: the smallest Starlette app with a Neo4j driver (bench/cypher_endpoint.py).

    python bench/cold_start.py [--runs N] [--with-managed-start]

Uses the benchmark Neo4j (~/.cache/maestro-graph/bench-data, Bolt 27687, the debian-bullseye
graph after bench/graphql_vs_cypher.py or bench/import_bundle.py). Each run launches a fresh
process and polls every 20 ms. `--with-managed-start` also stops that Neo4j and times `serve`
starting it itself (the README's `bin/dev run` path: JVM start, migrations check, app).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import httpx
from live_server import ServerProcess

from maestro_graph.db import managed_neo4j
from maestro_graph.db.connection import Neo4jTarget

DATA_DIR = Path.home() / ".cache" / "maestro-graph" / "bench-data"
PORTS = (27687, 27474)
FIRST_QUERY = """{ projects(first: 5, orderBy: {field: DEGREE, direction: DESC}) { edges { node { id
  uses(first: 5) { totalCount } } } } }"""


def _first_answer(server: ServerProcess) -> float:
    started = time.monotonic()
    response = httpx.post(f"{server.url}/graphql", json={"query": FIRST_QUERY}, timeout=60)
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    return (time.monotonic() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--with-managed-start", action="store_true")
    args = parser.parse_args()
    conn = managed_neo4j.start(DATA_DIR, bolt_port=PORTS[0], http_port=PORTS[1])
    target = Neo4jTarget(conn.uri, conn.user, conn.password, "neo4j")

    baseline, healthy, ready, first = [], [], [], []
    for _ in range(args.runs):
        with ServerProcess(target, DATA_DIR, app="cypher_endpoint:app") as bare:
            baseline.append(bare.wait_for("/healthz"))
        server = ServerProcess(target, DATA_DIR)
        healthy.append(server.wait_for("/healthz"))
        ready.append(server.wait_for("/readyz"))
        with server:
            first.append(_first_answer(server))

    rows = [
        ("baseline: Starlette + driver, launch to /healthz", baseline, "s"),
        ("`serve` (Neo4j running), launch to /healthz", healthy, "s"),
        ("`serve` (Neo4j running), launch to /readyz ready", ready, "s"),
        ("first GraphQL answer after ready (top-5 projects by degree)", first, "ms"),
    ]
    if args.with_managed_start:
        managed_neo4j.stop(DATA_DIR)
        server = ServerProcess(None, DATA_DIR, managed_ports=PORTS)
        managed = server.wait_for("/readyz", 600)
        with server:
            pass
        rows.append(("`serve` starting the managed Neo4j, launch to /readyz ready", [managed], "s"))

    print(f"{args.runs} launches each (one for the managed start)\n")
    print("| start | median | slowest |")
    print("|---|---|---|")
    for name, values, unit in rows:
        print(f"| {name} | {statistics.median(values):.2f} {unit} | {max(values):.2f} {unit} |")
    print(
        f"\n`serve` ready / baseline healthy (medians): {statistics.median(ready) / statistics.median(baseline):.2f}x"
    )


if __name__ == "__main__":
    main()
