"""Compiled reads against execution: the representative reads through two `serve --dev`
processes on the same Neo4j, one answering plain reads without resolvers
(MAESTRO_GRAPHQL_COMPILED_READS=true) and one executing every field's resolver (false),
requests alternating between them one by one.

    python bench/compiled_reads.py [--iterations N] [--data-dir DIR --bolt-port P --http-port P]

Uses the benchmark Neo4j of bench/graphql_vs_cypher.py (which imports the bundle into it).
Prints p50 / p95 ms and each server's CPU ms per request, and checks the answers are equal.
"""

from __future__ import annotations

import argparse
import asyncio
import random
from pathlib import Path

from graphql_vs_cypher import DATA_DIR, variable_pool
from live_server import ServerProcess
from read_transactions import measure

from maestro_graph.db import managed_neo4j
from maestro_graph.db.connection import Neo4jTarget, open_driver


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--data-dir", default=str(DATA_DIR))
    parser.add_argument("--bolt-port", type=int, default=27687)
    parser.add_argument("--http-port", type=int, default=27474)
    args = parser.parse_args()
    data_dir = Path(args.data_dir)
    conn = managed_neo4j.start(data_dir, bolt_port=args.bolt_port, http_port=args.http_port)
    target = Neo4jTarget(conn.uri, conn.user, conn.password, "neo4j")
    with open_driver(target) as driver:
        pool = variable_pool(driver, random.Random(0), args.iterations)
    env = {"MAESTRO_COST_BUDGET_PER_MINUTE": "1000000000"}
    with (
        ServerProcess(target, data_dir, env={**env, "MAESTRO_GRAPHQL_COMPILED_READS": "true"}) as compiled,
        ServerProcess(target, data_dir, env={**env, "MAESTRO_GRAPHQL_COMPILED_READS": "false"}) as executed,
    ):
        lines = asyncio.run(measure({"compiled": compiled, "executed": executed}, pool, args.iterations))
    print(f"\n{args.iterations} requests per read and side, sides alternating\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
