"""Compiled reads against execution: the representative reads through two `serve --dev`
processes on the same Neo4j, one answering plain reads without resolvers
(MAESTRO_GRAPHQL_COMPILED_READS=true) and one executing every field's resolver (false),
requests alternating between them one by one.

    python bench/compiled_reads.py [--iterations N] [--data-dir DIR --bolt-port P --http-port P]

Uses the benchmark Neo4j of bench/graphql_vs_cypher.py (which imports the bundle into it).
Prints p50 / p95 ms and each server's CPU ms per request, and checks the answers are equal.
"""

from __future__ import annotations

from read_transactions import compare_setting


def main() -> None:
    compare_setting("MAESTRO_GRAPHQL_COMPILED_READS", {"compiled": "true", "executed": "false"})


if __name__ == "__main__":
    main()
