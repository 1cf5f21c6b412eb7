"""Reads as auto-commit transactions against reads in managed transactions: the representative
reads through two `serve --dev` processes on the same Neo4j, one with each setting
(MAESTRO_NEO4J_AUTOCOMMIT_READS), requests alternating between them one by one.

    python bench/read_transactions.py [--iterations N] [--data-dir DIR --bolt-port P --http-port P]

Uses the benchmark Neo4j of bench/graphql_vs_cypher.py (which imports the bundle into it).
Prints p50 / p95 ms and each server's CPU ms per request, and checks the answers are equal.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from pathlib import Path

import httpx
from graphql_vs_cypher import DATA_DIR, cpu_seconds, variable_pool
from live_server import UNLIMITED_BUDGET, ServerProcess
from load import percentile
from representative_queries import CASES

from maestro_graph.db import managed_neo4j
from maestro_graph.db.connection import Neo4jTarget, open_driver

SETTINGS = {"auto-commit": "true", "managed": "false"}


async def measure(servers: dict[str, ServerProcess], pool: dict, iterations: int) -> list[str]:
    lines = [
        "| read | "
        + " | ".join(f"{name} p50 / p95 ms" for name in servers)
        + " | "
        + " | ".join(f"{name} CPU ms/req" for name in servers)
        + " |",
        "|---" * (1 + 2 * len(servers)) + "|",
    ]
    async with httpx.AsyncClient(timeout=30) as client:
        for case, (query, _, kind) in CASES.items():
            variables = pool[kind][:iterations]
            timings: dict[str, list[float]] = {name: [] for name in servers}
            for v in variables[:20]:  # warm-up
                for server in servers.values():
                    await client.post(f"{server.url}/graphql", json={"query": query, "variables": v})
            cpu0 = {name: cpu_seconds(server.process.pid) for name, server in servers.items()}
            for i, v in enumerate(variables):
                answers = {}
                for name in list(servers)[:: 1 if i % 2 == 0 else -1]:
                    started = time.perf_counter()
                    response = await client.post(f"{servers[name].url}/graphql", json={"query": query, "variables": v})
                    timings[name].append((time.perf_counter() - started) * 1000)
                    answers[name] = response.json()["data"]
                if len({repr(answer) for answer in answers.values()}) != 1:
                    raise SystemExit(f"different answers for {case} {v}")
            cpu = {
                name: 1000 * (cpu_seconds(server.process.pid) - cpu0[name]) / len(variables)
                for name, server in servers.items()
            }
            lines.append(
                f"| {case} | "
                + " | ".join(f"{statistics.median(t):.1f} / {percentile(t, 0.95):.1f}" for t in timings.values())
                + " | "
                + " | ".join(f"{c:.2f}" for c in cpu.values())
                + " |"
            )
            print(lines[-1], flush=True)
    return lines


def compare_setting(setting: str, sides: dict[str, str]) -> None:
    """Two `serve --dev` processes on the benchmark Neo4j that differ only in the environment
    variable `setting` (each side's name: its value), requests alternating between them."""
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
    env = UNLIMITED_BUDGET
    (first, first_value), (second, second_value) = sides.items()
    with (
        ServerProcess(target, data_dir, env={**env, setting: first_value}) as one,
        ServerProcess(target, data_dir, env={**env, setting: second_value}) as other,
    ):
        lines = asyncio.run(measure({first: one, second: other}, pool, args.iterations))
    print(f"\n{args.iterations} requests per read and side, sides alternating\n")
    print("\n".join(lines))


def main() -> None:
    compare_setting("MAESTRO_NEO4J_AUTOCOMMIT_READS", SETTINGS)


if __name__ == "__main__":
    main()
