"""Bulk writes through GraphQL against a live server, beside the single-item mutation loop
measured in the same run.

    python bench/bulk_writes.py [--items 2000] [--batch 1000] [--single 300] [--clients 8]
                                [--data-dir DIR] [--bolt-port 27687] [--http-port 27474]

Starts (or reuses) the managed Neo4j of DIR (default: the benchmark one,
~/.cache/maestro-graph/bench-data) and `maestro-graph serve --dev` in a process of its own,
then measures, over loopback HTTP:

- baseline: `--single` upsertProject calls one after another (the single-item loop), then
  as many from `--clients` clients at once;
- bulk: `--items` items of each kind (people, projects, artifacts, usages, memberships) in
  calls of `--batch` inputs, one call after another, each answer asking for every item's
  result (`items { index ok error { code } }`).

Prints items/s for each and the ratio to the single-item loop, and the CPU time the API
process and Neo4j spent per 1,000 items (read from /proc, Linux only, less what each spends
idle, measured for 5 s before): on a busy machine the
wall-clock figures say more about the other work than about this one, the CPU times do not.
Their sum bounds what one client can reach when both have a core to themselves. Then checks in
Neo4j that every acknowledged item is there with its one audit event, and removes what it wrote.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from live_server import UNLIMITED_BUDGET, ServerProcess
from load import http_session, post

from maestro_graph.db import managed_neo4j, migrations
from maestro_graph.db.connection import Neo4jTarget, open_driver

DATA_DIR = Path.home() / ".cache" / "maestro-graph" / "bench-data"

SINGLE = "mutation($input: ProjectInput!) { upsertProject(input: $input) { id } }"
RESULT = "{ committed written failed items { index ok error { code } } }"
KINDS = [  # in an order where each finds the nodes it links
    ("upsertPeople", "PersonInput"),
    ("upsertProjects", "ProjectInput"),
    ("upsertArtifacts", "ArtifactInput"),
    ("recordUsages", "UsageInput"),
    ("addMembers", "MemberInput"),
]


def bulk_document(mutation: str, input_type: str) -> str:
    return f"mutation($inputs: [{input_type}!]!) {{ {mutation}(inputs: $inputs) {RESULT} }}"


def item(mutation: str, prefix: str, i: int) -> dict:
    person, project, artifact = f"{prefix}-u{i}", f"{prefix}-p{i}", f"{prefix}-a{i}"
    items: dict[str, dict] = {
        "upsertPeople": {"id": person, "name": f"Person {i}", "email": f"{person}@example.org"},
        "upsertProjects": {"id": project, "name": f"Project {i}", "description": "bulk bench", "tags": ["bench"]},
        "upsertArtifacts": {"id": artifact, "name": f"Artifact {i}", "kind": "DATASET", "version": "1"},
        "recordUsages": {"projectId": project, "artifactId": artifact, "count": 1 + i % 5, "kind": "depends"},
        "addMembers": {"personId": person, "projectId": project, "role": "CONTRIBUTOR"},
    }
    return items[mutation]


@dataclass
class Phase:
    name: str
    items: int
    seconds: float
    requests: int
    api_cpu: float = float("nan")  # seconds of CPU the API process spent on the phase
    neo4j_cpu: float = float("nan")

    @property
    def per_second(self) -> float:
        return self.items / self.seconds


def cpu_seconds(pid: int | None) -> float:
    """User and system CPU time of process `pid` so far; NaN where /proc cannot say."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def neo4j_pid(data_dir: Path) -> int | None:
    """The Java process of the managed Neo4j under `data_dir`, found by its command line."""
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            command = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if "java" in command and str(data_dir.resolve()) in command and "neo4j" in command.lower():
            return int(entry.name)
    return None


class CpuMeter:
    """CPU each process spent on a phase, less what it burns idle (Neo4j's JVM spends a share
    of a core on its own housekeeping whatever it is asked), measured over `idle_s` first."""

    def __init__(self, api_pid: int, neo4j: int | None, idle_s: float = 5.0):
        self.pids = (api_pid, neo4j)
        before = [cpu_seconds(pid) for pid in self.pids]
        time.sleep(idle_s)
        self.idle_rates = [(after - b) / idle_s for after, b in zip(self._now(), before, strict=True)]

    def _now(self) -> list[float]:
        return [cpu_seconds(pid) for pid in self.pids]

    async def measure(self, phase_of):
        before = self._now()
        phase = await phase_of
        spent = [
            max(0.0, a - b - rate * phase.seconds)
            for a, b, rate in zip(self._now(), before, self.idle_rates, strict=True)
        ]
        phase.api_cpu, phase.neo4j_cpu = spent
        return phase


async def _post(client: aiohttp.ClientSession, url: str, query: str, variables: dict) -> dict:
    answer = await post(client, url, query, variables)
    if answer.status != 200 or answer.body.get("errors"):
        raise RuntimeError(f"{answer.status}: {answer.body}")
    return answer.body["data"]


async def single_loop(url: str, prefix: str, n: int, clients: int) -> Phase:
    queue = list(range(n))

    async def loop() -> None:
        async with http_session(60) as client:  # a connection of its own per client (bench/load.py)
            while queue:
                i = queue.pop()
                await _post(client, url, SINGLE, {"input": {"id": f"{prefix}-{i}", "name": f"Single {i}"}})

    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(clients)))
    seconds = time.perf_counter() - started
    return Phase(f"upsertProject x{n}, {clients} client(s)", n, seconds, n)


async def bulk_phase(url: str, prefix: str, mutation: str, input_type: str, n: int, batch: int) -> Phase:
    document = bulk_document(mutation, input_type)
    batches = [[item(mutation, prefix, i) for i in range(start, min(n, start + batch))] for start in range(0, n, batch)]
    async with http_session(120) as client:
        started = time.perf_counter()
        for inputs in batches:
            answer = (await _post(client, url, document, {"inputs": inputs}))[mutation]
            if not answer["committed"] or answer["written"] != len(inputs):
                raise RuntimeError(f"{mutation}: {answer['failed']} items failed")
        seconds = time.perf_counter() - started
    return Phase(f"{mutation} x{n} in calls of {batch}", n, seconds, len(batches))


async def measure(url: str, prefix: str, args: argparse.Namespace, meter: CpuMeter) -> list[Phase]:
    # Warm-up: the first call of each kind pays for the connection and its query plans.
    await single_loop(url, f"{prefix}-warm-single", 5, 1)
    for mutation, input_type in KINDS:
        await bulk_phase(url, f"{prefix}-warm", mutation, input_type, 10, 10)
    phases = [
        await meter.measure(single_loop(url, f"{prefix}-single", args.single, 1)),
        await meter.measure(single_loop(url, f"{prefix}-concurrent", args.single, args.clients)),
    ]
    for mutation, input_type in KINDS:
        phases.append(await meter.measure(bulk_phase(url, prefix, mutation, input_type, args.items, args.batch)))
    return phases


def check_and_clean(target: Neo4jTarget, prefix: str) -> tuple[int, int]:
    """(items written, audit events on them) under `prefix`; then both are removed."""
    with open_driver(target) as driver:
        nodes = driver.execute_query(
            "MATCH (n) WHERE n.id STARTS WITH $prefix AND NOT n:AuditEvent "
            "RETURN count(n) + sum(COUNT { (n)-[:USES|MEMBER_OF]->() }) AS items",
            prefix=prefix,
        ).records[0]["items"]
        events = driver.execute_query(
            "MATCH (e:AuditEvent) WHERE e.targets[0] STARTS WITH $prefix RETURN count(e) AS n", prefix=prefix
        ).records[0]["n"]
        with driver.session(database="neo4j") as session:  # CALL … IN TRANSACTIONS needs an implicit one
            for label in ("AuditEvent", "Person", "Project", "Artifact"):
                key = "e.targets[0]" if label == "AuditEvent" else "e.id"
                session.run(
                    f"MATCH (e:{label}) WHERE {key} STARTS WITH $prefix "
                    "CALL (e) { DETACH DELETE e } IN TRANSACTIONS OF 5000 ROWS",
                    prefix=prefix,
                ).consume()
    return nodes, events


def render(phases: list[Phase]) -> str:
    baseline = phases[0].per_second
    lines = [
        "| phase | requests | items | seconds | items/s | x single loop | API CPU ms / 1000 items "
        "| Neo4j CPU ms / 1000 items |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for p in phases:
        lines.append(
            f"| {p.name} | {p.requests} | {p.items} | {p.seconds:.2f} | {p.per_second:.0f} | "
            f"{p.per_second / baseline:.1f} | {p.api_cpu / p.items * 1e6:.0f} | {p.neo4j_cpu / p.items * 1e6:.0f} |"
        )
    bulk = phases[2:]
    items = sum(p.items for p in bulk)
    total = items / sum(p.seconds for p in bulk)
    cpu = sum(p.api_cpu + p.neo4j_cpu for p in bulk)
    single_cpu = (phases[0].api_cpu + phases[0].neo4j_cpu) / phases[0].items
    lines.append(
        f"\nall bulk kinds together: {total:.0f} items/s ({total / baseline:.1f}x the single-item loop); "
        f"API + Neo4j CPU {cpu / items * 1e6:.0f} ms per 1000 items (single-item loop: {single_cpu * 1e6:.0f}), "
        f"so at most {items / cpu:.0f} items/s from one client with a core each to themselves"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=2000, help="items of each kind")
    parser.add_argument("--batch", type=int, default=1000, help="inputs per bulk call")
    parser.add_argument("--single", type=int, default=300, help="single-item calls in each baseline")
    parser.add_argument("--clients", type=int, default=8, help="clients of the concurrent single-item baseline")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--bolt-port", type=int, default=27687)
    parser.add_argument("--http-port", type=int, default=27474)
    args = parser.parse_args()

    conn = managed_neo4j.start(args.data_dir, bolt_port=args.bolt_port, http_port=args.http_port)
    target = Neo4jTarget(conn.uri, conn.user, conn.password, "neo4j")
    with open_driver(target) as driver:
        migrations.migrate(driver, "neo4j")
    prefix = f"bulkbench{int(time.time())}"
    # The default budget (250,000 per minute) would throttle a client sending thousands of
    # items a second: each item counts towards a request's cost.
    with ServerProcess(target, args.data_dir, env=UNLIMITED_BUDGET) as server:
        meter = CpuMeter(server.process.pid, neo4j_pid(args.data_dir))
        phases = asyncio.run(measure(f"{server.url}/graphql", prefix, args, meter))
    print(render(phases))
    single_items = 5 + 2 * args.single
    bulk_items = len(KINDS) * (10 + args.items)
    written, events = check_and_clean(target, prefix)
    print(f"in Neo4j: {written} of {single_items + bulk_items} items, {events} audit events on them")


if __name__ == "__main__":
    main()
