"""The same data through the GraphQL API and through hand-written Cypher on the driver,
measured side by side in one run.

    python bench/graphql_vs_cypher.py [BUNDLE_DIR] [--iterations N] [--concurrency C]

GraphQL goes through a live uvicorn over loopback HTTP (what a client pays); Cypher goes
straight through the async driver with read routing. Uses the benchmark Neo4j
(~/.cache/maestro-graph/bench-data, Bolt 27687) and imports the bundle when it is empty.
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

from live_server import serve
from load import percentile
from maestro_graph import neo4j_server
from maestro_graph.db import migrations
from maestro_graph.db.connection import Neo4jTarget, open_async_driver, open_driver
from maestro_graph.ingest.bundle_import import import_bundle

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path.home() / ".cache" / "maestro-graph" / "bench-data"

CASES = {
    "project + uses + members": (
        """query($id: ID!) { project(id: $id) { id name description
             uses(first: 20) { totalCount edges { node { id name kind } usage { kinds } } }
             members(first: 20) { totalCount edges { node { id kind } membership { roles } } } } }""",
        """MATCH (p:Project {id: $id})
           CALL (p) { MATCH (p)-[u:USES]->(a:Artifact) WITH a, u ORDER BY a.name, a.id LIMIT 20
                      RETURN collect({id: a.id, name: a.name, kind: a.kind, kinds: u.kinds}) AS uses }
           CALL (p) { MATCH (h:Person)-[m:MEMBER_OF]->(p) WITH h, m ORDER BY h.id LIMIT 20
                      RETURN collect({id: h.id, kind: h.kind, roles: m.roles}) AS members }
           RETURN p.id, p.name, p.description, uses, COUNT { (p)-[:USES]->() } AS uses_total,
                  members, COUNT { (p)<-[:MEMBER_OF]-() } AS members_total""",
        "project",
    ),
    "artifact usedBy, two levels": (
        """query($id: ID!) { artifact(id: $id) { id name
             usedBy(first: 10) { totalCount edges { node { id name
               uses(first: 10) { totalCount edges { node { id name } } } } } } } }""",
        """MATCH (a:Artifact {id: $id})
           CALL (a) { MATCH (p:Project)-[:USES]->(a) WITH p ORDER BY p.name, p.id LIMIT 10
             CALL (p) { MATCH (p)-[:USES]->(b:Artifact) WITH b ORDER BY b.name, b.id LIMIT 10
                        RETURN collect({id: b.id, name: b.name}) AS uses }
             RETURN collect({id: p.id, name: p.name, uses: uses, total: COUNT { (p)-[:USES]->() }}) AS users }
           RETURN a.id, a.name, users, COUNT { (a)<-[:USES]-() } AS users_total""",
        "artifact",
    ),
    "filtered, sorted page": (
        """query($section: String) { projects(first: 20, filter: {section: $section},
             orderBy: {field: NAME, direction: DESC}) { totalCount edges { node { id name section } } } }""",
        """MATCH (n:Project) WHERE n.section = $section
           WITH n ORDER BY n.name DESC, n.id DESC
           WITH collect(n {.id, .name, .section}) AS matching
           RETURN matching[..20] AS page, size(matching) AS total""",
        "section",
    ),
    "full-text search": (
        """query($text: String!) { search(text: $text, first: 10) { score node { id name } } }""",
        """CALL db.index.fulltext.queryNodes('entity_text', $text) YIELD node, score
           RETURN node.id, node.name, score ORDER BY score DESC, node.id LIMIT 10""",
        "text",
    ),
}


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


async def run_graphql(url: str, query: str, variables: list[dict], concurrency: int) -> tuple[list[float], float, list[int]]:
    timings, trips = [], []
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=concurrency)) as client:
        async def one(v: dict) -> None:
            started = time.perf_counter()
            response = await client.post(url, json={"query": query, "variables": v})
            timings.append((time.perf_counter() - started) * 1000)
            body = response.json()
            assert "errors" not in body, body
            trips.append(body["extensions"]["cypher"]["roundTrips"])

        started = await _batched(one, variables, concurrency)
    return timings, started, trips


async def run_cypher(driver: neo4j.AsyncDriver, query: str, variables: list[dict], concurrency: int) -> tuple[list[float], float]:
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


async def measure(target: Neo4jTarget, url: str, pool: dict, iterations: int, concurrency: int) -> list[tuple]:
    driver = open_async_driver(target)
    rows = []
    try:
        for name, (graphql_query, cypher_query, kind) in CASES.items():
            variables = pool[kind][:iterations]
            await run_cypher(driver, cypher_query, variables[:20], 1)  # warm plans and caches
            await run_graphql(url, graphql_query, variables[:20], 1)
            cypher_ms, _ = await run_cypher(driver, cypher_query, variables, 1)
            graphql_ms, _, trips = await run_graphql(url, graphql_query, variables, 1)
            _, cypher_rps = await run_cypher(driver, cypher_query, variables, concurrency)
            _, graphql_rps, _ = await run_graphql(url, graphql_query, variables, concurrency)
            rows.append((name, statistics.median(graphql_ms), percentile(graphql_ms, 0.95),
                         statistics.median(cypher_ms), percentile(cypher_ms, 0.95),
                         graphql_rps, cypher_rps, max(trips)))
    finally:
        await driver.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("bundle", nargs="?", default=str(ROOT.parent / "shared" / "datasets" / "debian-bullseye"))
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    conn = neo4j_server.start(DATA_DIR, bolt_port=27687, http_port=27474)
    target = Neo4jTarget(conn.uri, conn.user, conn.password, "neo4j")
    with open_driver(target) as driver:
        migrations.migrate(driver, "neo4j")
        if not driver.execute_query("MATCH (p:Project) RETURN count(p) > 0 AS any", database_="neo4j").records[0]["any"]:
            import_bundle(driver, "neo4j", Path(args.bundle))
        pool = variable_pool(driver, random.Random(0), args.iterations)

    server, url = serve(target, DATA_DIR)
    try:
        rows = asyncio.run(measure(target, url, pool, args.iterations, args.concurrency))
    finally:
        server.should_exit = True

    print(f"{args.iterations} requests per case, sequential for latency, {args.concurrency} in flight for throughput\n")
    print("| query | GraphQL p50 / p95 ms | Cypher p50 / p95 ms | p95 ratio | GraphQL / Cypher req/s | round trips |")
    print("|---|---|---|---|---|---|")
    for name, g50, g95, c50, c95, grps, crps, trips in rows:
        print(f"| {name} | {g50:.1f} / {g95:.1f} | {c50:.1f} / {c95:.1f} | {g95 / c95:.2f}x | "
              f"{grps:.0f} / {crps:.0f} | {trips} |")


if __name__ == "__main__":
    main()
