"""The same data through the GraphQL API and through hand-written Cypher, measured side by
side in one run.

    python bench/graphql_vs_cypher.py [BUNDLE_DIR] [--iterations N] [--concurrency C]

Four ways to the same data, each case measured by all four back to back:
- GraphQL: `maestro-graph serve --dev` in its own process, over loopback HTTP (what a client
  pays), as deployed (nodes fetched by id come with their selected pages in one query);
- GraphQL, level by level: the same server with MAESTRO_GRAPHQL_PREFETCH=false (one batched
  query per nesting level), to show what the prefetch saves;
- HTTP + Cypher: the hand-written Cypher behind a minimal Starlette endpoint in its own process
  (bench/cypher_endpoint.py): what a hand-written REST endpoint would pay;
- driver: the hand-written Cypher straight through the async driver in this process, with
  read routing — the baseline of the 1.3x target.
Uses the benchmark Neo4j (~/.cache/maestro-graph/bench-data, Bolt 27687) and imports the
bundle when it is empty.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from pathlib import Path

import httpx
import neo4j
from live_server import ServerProcess
from load import percentile
from representative_queries import CASES

from maestro_graph.db import managed_neo4j, migrations
from maestro_graph.db.connection import Neo4jTarget, open_async_driver, open_driver
from maestro_graph.ingest.bundle_import import import_bundle

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path.home() / ".cache" / "maestro-graph" / "bench-data"


def variable_pool(driver: neo4j.Driver, rng: random.Random, n: int) -> dict[str, list]:
    def ids(query: str) -> list:
        return [r[0] for r in driver.execute_query(query, database_="neo4j").records]

    projects = ids("MATCH (p:Project) WHERE (p)-[:USES]->() RETURN p.id")
    artifacts = ids("MATCH (a:Artifact) WHERE (a)<-[:USES]-() RETURN a.id")
    sections = ids("MATCH (p:Project) WHERE p.section IS NOT NULL RETURN DISTINCT p.section")
    words = [w for w in ids("MATCH (p:Project) RETURN p.name LIMIT 2000") if w.isalpha()]
    return {
        "project": [{"id": rng.choice(projects)} for _ in range(n)],
        "artifact": [{"id": rng.choice(artifacts)} for _ in range(n)],
        "section": [{"section": rng.choice(sections)} for _ in range(n)],
        "text": [{"text": rng.choice(words)} for _ in range(n)],
    }


async def run_http(url: str, body_of, variables: list[dict], concurrency: int) -> tuple[list[float], float, list[int]]:
    """POST `body_of(v)` to `url` for every v; (latencies ms, req/s, GraphQL round trips if reported)."""
    timings, trips = [], []
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=concurrency)) as client:

        async def one(v: dict) -> None:
            started = time.perf_counter()
            response = await client.post(url, json=body_of(v))
            timings.append((time.perf_counter() - started) * 1000)
            body = response.json()
            assert response.status_code == 200 and "errors" not in body, body
            if "extensions" in body:
                trips.append(body["extensions"]["cypher"]["roundTrips"])

        rate = await _batched(one, variables, concurrency)
    return timings, rate, trips


async def run_cypher(
    driver: neo4j.AsyncDriver, query: str, variables: list[dict], concurrency: int
) -> tuple[list[float], float]:
    timings = []

    async def one(v: dict) -> None:
        started = time.perf_counter()
        await driver.execute_query(query, v, database_="neo4j", routing_=neo4j.RoutingControl.READ)
        timings.append((time.perf_counter() - started) * 1000)

    return timings, await _batched(one, variables, concurrency)


async def _batched(one, variables: list[dict], concurrency: int) -> float:
    """Run `one` over all variables with `concurrency` in flight; returns requests per second."""
    queue = list(variables)
    started = time.perf_counter()

    async def worker() -> None:
        while queue:
            await one(queue.pop())

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return len(variables) / (time.perf_counter() - started)


def _summary(timings: list[float]) -> tuple[float, float]:
    return statistics.median(timings), percentile(timings, 0.95)


async def measure(
    target: Neo4jTarget, urls: dict[str, str], pool: dict, iterations: int, concurrency: int
) -> list[dict]:
    driver = open_async_driver(target)
    rows = []

    def graphql_body(query: str):
        return lambda v: {"query": query, "variables": v}

    try:
        floor_pool = [{}] * iterations
        ways = {
            "graphql": lambda q, cy, kind, vs, c: run_http(urls["graphql"], graphql_body(q), vs, c),
            "levelled": lambda q, cy, kind, vs, c: run_http(urls["levelled"], graphql_body(q), vs, c),
            "http": lambda q, cy, kind, vs, c: run_http(f"{urls['http']}/cypher/{kind}", lambda v: v, vs, c),
            "driver": lambda q, cy, kind, vs, c: _no_trips(run_cypher(driver, cy, vs, c)),
        }
        cases = dict(CASES)
        # The fixed cost of any request: the smallest GraphQL document against the smallest HTTP
        # answer of the hand-written endpoint and a trivial query on the driver.
        cases["floor: { __typename } / RETURN 1"] = ("{ __typename }", "RETURN 1 AS one", "floor")
        for name, (graphql_query, cypher_query, kind) in cases.items():
            variables = floor_pool if kind == "floor" else pool[kind][:iterations]
            row = {"name": name}
            for way, run in ways.items():
                if kind == "floor" and way == "http":
                    timings, _, _ = await run_health(urls["http"], variables)
                    row[way] = _summary(timings)
                    continue
                await run(graphql_query, cypher_query, kind, variables[:20], 1)  # warm plans and caches
                timings, _, trips = await run(graphql_query, cypher_query, kind, variables, 1)
                _, rate, _ = await run(graphql_query, cypher_query, kind, variables, concurrency)
                row[way] = _summary(timings)
                row[f"{way}_rps"] = rate
                row[f"{way}_trips"] = max(trips) if trips else None
            rows.append(row)
    finally:
        await driver.close()
    return rows


async def _no_trips(measured) -> tuple[list[float], float, list[int]]:
    timings, rate = await measured
    return timings, rate, []


async def run_health(url: str, variables: list[dict]) -> tuple[list[float], float, list[int]]:
    timings = []
    async with httpx.AsyncClient(timeout=30) as client:
        for _ in variables:
            started = time.perf_counter()
            (await client.get(f"{url}/healthz")).raise_for_status()
            timings.append((time.perf_counter() - started) * 1000)
    return timings, 0.0, []


def render(rows: list[dict], iterations: int, concurrency: int) -> str:
    lines = [
        f"{iterations} requests per case and way, sequential for latency, {concurrency} in flight for throughput; "
        "p50 / p95 in ms\n",
        "| query | GraphQL | GraphQL, level by level | HTTP + Cypher | driver | GraphQL p95 / driver p95 "
        "| GraphQL p95 / HTTP + Cypher p95 | GraphQL / driver req/s | round trips (level by level) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        cells = [f"{row[w][0]:.1f} / {row[w][1]:.1f}" for w in ("graphql", "levelled", "http", "driver")]
        rates = f"{row['graphql_rps']:.0f} / {row['driver_rps']:.0f}"
        trips = f"{row['graphql_trips']} ({row['levelled_trips']})" if row.get("graphql_trips") is not None else "0"
        lines.append(
            f"| {row['name']} | {' | '.join(cells)} | {row['graphql'][1] / row['driver'][1]:.2f}x "
            f"| {row['graphql'][1] / row['http'][1]:.2f}x | {rates} | {trips} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("bundle", nargs="?", default=str(ROOT.parent / "shared" / "datasets" / "debian-bullseye"))
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    conn = managed_neo4j.start(DATA_DIR, bolt_port=27687, http_port=27474)
    target = Neo4jTarget(conn.uri, conn.user, conn.password, "neo4j")
    with open_driver(target) as driver:
        migrations.migrate(driver, "neo4j")
        if not driver.execute_query("MATCH (p:Project) RETURN count(p) > 0 AS any", database_="neo4j").records[0][
            "any"
        ]:
            import_bundle(driver, "neo4j", Path(args.bundle))
        pool = variable_pool(driver, random.Random(0), args.iterations)

    with (
        ServerProcess(target, DATA_DIR) as graphql,
        ServerProcess(target, DATA_DIR, env={"MAESTRO_GRAPHQL_PREFETCH": "false"}) as levelled,
        ServerProcess(target, DATA_DIR, app="cypher_endpoint:app") as http,
    ):
        urls = {"graphql": f"{graphql.url}/graphql", "levelled": f"{levelled.url}/graphql", "http": http.url}
        rows = asyncio.run(measure(target, urls, pool, args.iterations, args.concurrency))
    print(render(rows, args.iterations, args.concurrency))


if __name__ == "__main__":
    main()
