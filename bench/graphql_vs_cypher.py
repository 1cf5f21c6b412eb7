"""The same data through the GraphQL API, its peer and hand-written Cypher, measured side by
side in one run.

    python bench/graphql_vs_cypher.py [BUNDLE_DIR] [--iterations N] [--concurrency C]
        [--peer PEER_DIR | --no-peer] [--levelled] [--executed] [--data-dir DIR --bolt-port P --http-port P]

The ways to the same data, each read asked of all of them:
- this API: `maestro-graph serve --dev` in its own process, over loopback HTTP (what a client
  pays), as deployed (nodes fetched by id come with their selected pages in one query);
- the peer: @neo4j/graphql + graphql-yoga on Node over the same Neo4j (bench/peer_side.py; from
  the peer benchmark's folder, default ../shared/peer-neo4j-graphql; skipped without Node);
- HTTP + Cypher: the hand-written Cypher behind a minimal Starlette endpoint in its own process
  (bench/cypher_endpoint.py): what a hand-written REST endpoint would pay;
- driver: the hand-written Cypher straight through the async driver in this process;
- with --levelled, this API with MAESTRO_GRAPHQL_PREFETCH=false (one batched query per level);
- with --executed, this API with MAESTRO_GRAPHQL_COMPILED_READS=false (a resolver per field).

First the answers are compared (the peer's canonical shapes, from its run.py): a run whose ways
disagree stops there. Then latency at 1 in flight, the ways interleaved request by request on
the same variables (so a busy machine slows them alike), and throughput at --concurrency in
flight, one way at a time. Each server's CPU per request is read from /proc (the driver's is
this process's own), and Neo4j's beside it. The requests go out through aiohttp: the load
generator shares the machine's cores with the servers, and httpx, used before, spent four to
six times its CPU per request (bench/load.py's docstring), which weighed on every way's
throughput alike and pulled their ratios towards 1.
Uses the benchmark Neo4j (by default ~/.cache/maestro-graph/bench-data, Bolt 27687) and imports
the bundle when it is empty.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import aiohttp
import neo4j
from live_server import UNLIMITED_BUDGET, ServerProcess
from load import percentile
from peer_side import PeerServer, node_available, peer_module
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


Call = Callable[[str, dict], Awaitable[dict]]
FLOOR = ("{ __typename }", "RETURN 1 AS one", "floor")
TARGETS = "p95 <= 0.75x the peer's, req/s >= 1.5x the peer's, p95 <= 1.3x HTTP + Cypher, server CPU <= 0.6x the peer's"


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Way:
    """One way to the data: how to ask it for a case, and the process that does the work."""

    def __init__(self, name: str, call: Call, pid: int | None):
        self.name, self.call, self.pid = name, call, pid
        self.own_cpu = 0.0  # for the in-process driver: CPU seconds spent in its calls

    def cpu(self) -> float:
        return cpu_seconds(self.pid) if self.pid is not None else self.own_cpu


def build_ways(
    client: aiohttp.ClientSession, driver: neo4j.AsyncDriver, urls: dict[str, str], pids: dict[str, int], peer
) -> dict[str, Way]:
    graphql = {kind: query for query, _, kind in [*CASES.values(), FLOOR]}
    cypher = {kind: query for _, query, kind in [*CASES.values(), FLOOR]}

    async def post(url: str, body: dict) -> dict:
        async with client.post(url, json=body) as response:
            answer = json.loads(await response.read())
            if response.status != 200 or answer.get("errors"):
                raise RuntimeError(f"{url}: {response.status} {str(answer)[:300]}")
            return answer

    def graphql_way(url: str) -> Call:
        return lambda kind, v: post(url, {"query": graphql[kind], "variables": v})

    async def http(kind: str, v: dict) -> dict:
        if kind == "floor":
            async with client.get(f"{urls['http']}/healthz") as response:
                response.raise_for_status()
                return json.loads(await response.read())
        return await post(f"{urls['http']}/cypher/{kind}", v)

    ways: dict[str, Way] = {"graphql": Way("this API", graphql_way(urls["graphql"]), pids["graphql"])}
    if peer is not None:
        documents = {**peer.PEER, "floor": FLOOR[0]}

        async def peer_call(kind: str, v: dict) -> dict:
            variables = peer.peer_variables(kind, v) if kind != "floor" else v
            return await post(urls["peer"], {"query": documents[kind], "variables": variables})

        ways["peer"] = Way("@neo4j/graphql", peer_call, pids["peer"])
    ways["http"] = Way("HTTP + Cypher", http, pids["http"])
    if "levelled" in urls:
        ways["levelled"] = Way("this API, level by level", graphql_way(urls["levelled"]), pids["levelled"])
    if "executed" in urls:
        ways["executed"] = Way("this API, executed", graphql_way(urls["executed"]), pids["executed"])
    driver_way = Way("driver", lambda kind, v: _driver_call(driver, cypher[kind], v, driver_way), None)
    ways["driver"] = driver_way
    return ways


async def _driver_call(driver: neo4j.AsyncDriver, query: str, v: dict, way: Way) -> dict:
    started = time.process_time()
    records, _, _ = await driver.execute_query(query, v, database_="neo4j", routing_=neo4j.RoutingControl.READ)
    way.own_cpu += time.process_time() - started
    return {"records": [record.data() for record in records]}


async def check_answers(ways: dict[str, Way], peer, kind: str, variables: list[dict]) -> list[str]:
    """The variables for which the ways' answers, reduced to the peer's canonical shapes, differ."""
    sides = {"graphql": "A", "executed": "A", "peer": "B", "http": "C", "driver": "D"}
    different = []
    for v in variables:
        answers = {
            name: peer.canonical(kind, sides[name], await way.call(kind, v))
            for name, way in ways.items()
            if name in sides
        }
        if len({repr(answer) for answer in answers.values()}) > 1:
            different.append(f"{kind} {v}: {answers}")
    return different


async def latency(ways: dict[str, Way], kind: str, variables: list[dict]) -> dict[str, dict[str, float]]:
    """1 in flight, the ways interleaved on each variable (the first way rotating)."""
    order = list(ways)
    timings: dict[str, list[float]] = {name: [] for name in order}
    cpu0 = {name: way.cpu() for name, way in ways.items()}
    trips: dict[str, int] = {}
    for i, v in enumerate(variables):
        for name in order[i % len(order) :] + order[: i % len(order)]:
            started = time.perf_counter()
            answer = await ways[name].call(kind, v)
            timings[name].append((time.perf_counter() - started) * 1000)
            cypher = (answer.get("extensions") or {}).get("cypher") if isinstance(answer, dict) else None
            if cypher:
                trips[name] = max(trips.get(name, 0), cypher["roundTrips"])
    return {
        name: {
            "p50": statistics.median(timings[name]),
            "p95": percentile(timings[name], 0.95),
            "cpu_ms": 1000 * (ways[name].cpu() - cpu0[name]) / len(variables),
            "trips": trips.get(name, 0),
        }
        for name in order
    }


async def throughput(way: Way, kind: str, variables: list[dict], concurrency: int, neo4j_pid: int) -> dict[str, float]:
    """`concurrency` requests in flight over all of `variables`: req/s, and CPU ms per request."""
    queue = list(variables)
    cpu0, neo0 = way.cpu(), cpu_seconds(neo4j_pid)
    started = time.perf_counter()

    async def worker() -> None:
        while queue:
            await way.call(kind, queue.pop())

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    n = len(variables)
    return {
        "rps": n / elapsed,
        "cpu_ms_c": 1000 * (way.cpu() - cpu0) / n,
        "neo4j_cpu_ms_c": 1000 * (cpu_seconds(neo4j_pid) - neo0) / n,
    }


async def measure(
    target: Neo4jTarget,
    urls: dict[str, str],
    pids: dict[str, int],
    peer,
    pool: dict,
    iterations: int,
    concurrency: int,
    checked: int,
) -> list[dict]:
    driver = open_async_driver(target)
    connections = aiohttp.TCPConnector(limit=0, limit_per_host=concurrency)
    rows = []
    try:
        async with aiohttp.ClientSession(connector=connections, timeout=aiohttp.ClientTimeout(total=30)) as client:
            ways = build_ways(client, driver, urls, pids, peer)
            for name, (_, _, kind) in [*CASES.items(), ("floor: { __typename } / RETURN 1", FLOOR)]:
                variables = [{}] * iterations if kind == "floor" else pool[kind][:iterations]
                for v in variables[:20]:  # warm plans, caches, JITs and connections
                    for way in ways.values():
                        await way.call(kind, v)
                if peer is not None and kind != "floor":
                    different = await check_answers(ways, peer, kind, pool[kind][-checked:])
                    if different:
                        raise SystemExit("the ways answer differently:\n" + "\n".join(different))
                row: dict[str, Any] = {"name": name, **await latency(ways, kind, variables)}
                for way_name, way in ways.items():
                    row[way_name].update(await throughput(way, kind, variables, concurrency, pids["neo4j"]))
                rows.append(row)
                print(render([row], iterations, concurrency, head=False), flush=True)
    finally:
        await driver.close()
    return rows


def _ratio(row: dict, a: str, b: str, key: str) -> float:
    return row[a][key] / row[b][key] if b in row and row[b][key] else float("nan")


def render(rows: list[dict], iterations: int, concurrency: int, head: bool = True) -> str:
    peer = any("peer" in row for row in rows)
    lines = []
    if head:
        lines += [
            f"{iterations} requests per read and way: 1 in flight (ways interleaved) for p50 / p95 ms and the server's "
            f"CPU ms per request; {concurrency} in flight for req/s (and the CPU per request there).\n",
            "| read | this API | @neo4j/graphql | HTTP + Cypher | driver | p95 this / peer | p95 this / HTTP + Cypher "
            f"| req/s at {concurrency}: this / peer | server CPU ms/req: this / peer | Neo4j CPU ms/req at "
            f"{concurrency}: this / peer | round trips |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
    for row in rows:
        cells = [
            f"{row[w]['p50']:.1f} / {row[w]['p95']:.1f}" if w in row else "-"
            for w in ("graphql", "peer", "http", "driver")
        ]
        both = ("graphql", "peer") if peer else ("graphql",)
        rates = " / ".join(f"{row[w]['rps']:.0f}" for w in both)
        cpu = " / ".join(f"{row[w]['cpu_ms']:.2f}" for w in both)
        neo = " / ".join(f"{row[w]['neo4j_cpu_ms_c']:.2f}" for w in both)
        trips = str(row["graphql"]["trips"])
        if "levelled" in row:
            trips += f" ({row['levelled']['trips']} level by level: {row['levelled']['p50']:.1f} / "
            trips += f"{row['levelled']['p95']:.1f} ms)"
        lines.append(
            f"| {row['name']} | {' | '.join(cells)} | {_ratio(row, 'graphql', 'peer', 'p95'):.2f}x "
            f"| {_ratio(row, 'graphql', 'http', 'p95'):.2f}x | {rates} | {cpu} | {neo} | {trips} |"
        )
    if head and any("executed" in row for row in rows):
        lines += [
            "\nThis API with its reads compiled (as deployed) and executed (MAESTRO_GRAPHQL_COMPILED_READS=false):\n",
            "| read | compiled p50 / p95 | executed p50 / p95 | req/s at "
            f"{concurrency}: compiled / executed | server CPU ms/req: compiled / executed |",
            "|---|---|---|---|---|",
        ]
        for row in rows:
            if "executed" not in row:
                continue
            a, b = row["graphql"], row["executed"]
            lines.append(
                f"| {row['name']} | {a['p50']:.1f} / {a['p95']:.1f} | {b['p50']:.1f} / {b['p95']:.1f} "
                f"| {a['rps']:.0f} / {b['rps']:.0f} | {a['cpu_ms']:.2f} / {b['cpu_ms']:.2f} |"
            )
    if head and peer:
        lines.append(f"\nTargets ({TARGETS}):")
        for row in rows:
            if row["name"].startswith("floor"):
                continue
            checks = {
                "p95 vs peer": _ratio(row, "graphql", "peer", "p95") <= 0.75,
                "req/s vs peer": _ratio(row, "graphql", "peer", "rps") >= 1.5,
                "p95 vs HTTP + Cypher": _ratio(row, "graphql", "http", "p95") <= 1.3,
                "CPU vs peer": _ratio(row, "graphql", "peer", "cpu_ms") <= 0.6,
            }
            verdicts = ", ".join(f"{what} {'met' if ok else 'NOT met'}" for what, ok in checks.items())
            lines.append(f"- {row['name']}: {verdicts}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("bundle", nargs="?", default=str(ROOT.parent / "shared" / "datasets" / "debian-bullseye"))
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--peer", default=str(ROOT.parent / "shared" / "peer-neo4j-graphql"))
    parser.add_argument("--no-peer", action="store_true", help="leave the peer out (e.g. no Node on this machine)")
    parser.add_argument("--checked", type=int, default=10, help="variables per read whose answers are compared")
    parser.add_argument("--levelled", action="store_true", help="also this API without the prefetch")
    parser.add_argument("--executed", action="store_true", help="also this API without compiled reads")
    parser.add_argument("--data-dir", default=str(DATA_DIR), help="the benchmark Neo4j's data folder")
    parser.add_argument("--bolt-port", type=int, default=27687)
    parser.add_argument("--http-port", type=int, default=27474)
    args = parser.parse_args()

    data_dir = Path(args.data_dir)
    conn = managed_neo4j.start(data_dir, bolt_port=args.bolt_port, http_port=args.http_port)
    target = Neo4jTarget(conn.uri, conn.user, conn.password, "neo4j")
    with open_driver(target) as driver:
        migrations.migrate(driver, "neo4j")
        if not driver.execute_query("MATCH (p:Project) RETURN count(p) > 0 AS any", database_="neo4j").records[0][
            "any"
        ]:
            import_bundle(driver, "neo4j", Path(args.bundle))
        pool = variable_pool(driver, random.Random(0), args.iterations + args.checked)

    use_peer = not args.no_peer and Path(args.peer, "server.mjs").exists() and node_available()
    if not args.no_peer and not use_peer:
        print(f"(no peer: {args.peer} or Node is missing)")
    serve_env = UNLIMITED_BUDGET
    with ExitStack() as stack:
        servers: dict[str, Any] = {
            "graphql": stack.enter_context(ServerProcess(target, data_dir, env=serve_env)),
            "http": stack.enter_context(ServerProcess(target, data_dir, app="cypher_endpoint:app")),
        }
        if args.levelled:
            levelled_env = {**serve_env, "MAESTRO_GRAPHQL_PREFETCH": "false"}
            servers["levelled"] = stack.enter_context(ServerProcess(target, data_dir, env=levelled_env))
        if args.executed:
            executed_env = {**serve_env, "MAESTRO_GRAPHQL_COMPILED_READS": "false"}
            servers["executed"] = stack.enter_context(ServerProcess(target, data_dir, env=executed_env))
        if use_peer:
            servers["peer"] = stack.enter_context(PeerServer(Path(args.peer), target))
        urls = {name: server.url + ("" if name == "http" else "/graphql") for name, server in servers.items()}
        pids = {name: server.process.pid for name, server in servers.items()}
        pids["neo4j"] = int((data_dir / "neo4j" / "neo4j.pid").read_text())
        peer = peer_module(Path(args.peer)) if use_peer else None
        rows = asyncio.run(measure(target, urls, pids, peer, pool, args.iterations, args.concurrency, args.checked))
    print("\n" + render(rows, args.iterations, args.concurrency))


if __name__ == "__main__":
    main()
