"""Python's full garbage collections while serving, with the heap built at start-up frozen
(`gc.freeze()`, what `maestro-graph serve` does once the app is built) and without, in one run.

    python bench/gc_freeze.py [--requests N] [--rounds N] [--data-dir DIR --bolt-port P --http-port P]

The app runs in this process (requests through httpx's ASGI transport, 8 in flight), on the
benchmark Neo4j of bench/graphql_vs_cypher.py (debian-bullseye imported into it), cycling over
the four representative reads with random ids. Rounds alternate between the two heaps
(`gc.unfreeze()` puts the start-up objects back). Printed per variant, median over rounds: the
full (generation 2) collections per 1,000 requests and how long each took, this process's CPU
per request, and p50 / p99 / max latency.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import time
from pathlib import Path

import httpx
import neo4j
from graphql_vs_cypher import DATA_DIR, variable_pool
from representative_queries import CASES

from maestro_graph.app import create_app
from maestro_graph.config import Settings
from maestro_graph.db import managed_neo4j
from maestro_graph.db.connection import Neo4jTarget
from maestro_graph.serving import freeze_startup_heap

IN_FLIGHT = 8


class FullCollections:
    """Counts generation-2 collections and their durations, from gc's own callbacks."""

    def __init__(self) -> None:
        self.durations: list[float] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.durations.append(time.perf_counter() - self._started)


async def run_round(client: httpx.AsyncClient, requests: list[dict], collections: FullCollections) -> dict[str, float]:
    latencies: list[float] = []
    queue = iter(requests)

    async def worker() -> None:
        for body in queue:
            started = time.perf_counter()
            answer = await client.post("/graphql", json=body)
            latencies.append(time.perf_counter() - started)
            if answer.status_code != 200 or "errors" in answer.json():
                raise SystemExit(f"request failed: {answer.text[:300]}")

    collections.durations.clear()
    cpu = time.process_time()
    await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
    cpu = time.process_time() - cpu
    latencies.sort()
    return {
        "full collections per 1,000": len(collections.durations) / len(requests) * 1000,
        "ms per full collection": statistics.mean(collections.durations) * 1000 if collections.durations else 0.0,
        "CPU ms per request": cpu / len(requests) * 1000,
        "p50 ms": latencies[len(latencies) // 2] * 1000,
        "p99 ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "max ms": latencies[-1] * 1000,
    }


async def measure(app, requests: list[dict], rounds: int) -> dict[str, list[dict[str, float]]]:
    collections = FullCollections()
    results: dict[str, list[dict[str, float]]] = {"frozen": [], "not frozen": []}
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
    client = httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000")
    async with app.router.lifespan_context(app), client:
        await run_round(client, requests[:500], collections)  # warm caches and connections
        gc.callbacks.append(collections)
        try:
            for _ in range(rounds):
                for variant in results:
                    if variant == "frozen":
                        freeze_startup_heap()
                    results[variant].append(await run_round(client, requests, collections))
                    gc.unfreeze()
        finally:
            gc.callbacks.remove(collections)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=4000, help="per round and variant")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--bolt-port", type=int, default=17767)
    parser.add_argument("--http-port", type=int, default=17777)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    conn = managed_neo4j.start(args.data_dir, bolt_port=args.bolt_port, http_port=args.http_port)
    target = Neo4jTarget(conn.uri, conn.user, conn.password, "neo4j", conn.browser_url, managed=True)
    rng = random.Random(args.seed)
    with neo4j.GraphDatabase.driver(conn.uri, auth=(conn.user, conn.password)) as driver:
        pool = variable_pool(driver, rng, args.requests)
    if not pool["project"]:
        raise SystemExit(f"no graph in {args.data_dir}: run bench/graphql_vs_cypher.py once to import it")
    documents = [(document, pool[kind]) for document, _, kind in CASES.values()]
    requests = [
        {"query": documents[i % len(documents)][0], "variables": documents[i % len(documents)][1][i]}
        for i in range(args.requests)
    ]
    # The cost budget is per client and minute: a benchmark's burst is not what it guards against.
    settings = Settings(profile="dev", data_dir=args.data_dir, cost_budget_per_minute=10**9)
    app = create_app(settings, target)
    results = asyncio.run(measure(app, requests, args.rounds))

    print(f"{args.requests} requests per round and variant, {IN_FLIGHT} in flight, median of {args.rounds} rounds")
    keys = list(results["frozen"][0])
    print("| start-up heap | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for variant, runs in results.items():
        medians = [f"{statistics.median(run[key] for run in runs):.2f}" for key in keys]
        print(f"| {variant} | " + " | ".join(medians) + " |")


if __name__ == "__main__":
    main()
