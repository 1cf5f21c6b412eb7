"""Mixed read/write load against a running Maestro Graph, and a check that no acknowledged
write was lost.

    python bench/load.py --url http://127.0.0.1:8000/graphql [--clients 50] [--seconds 30]
                         [--write-share 0.3] [--token TOKEN] [--api-pid PID]
    python bench/load.py --writes-only [--sequential 100] [--concurrent 200] [--clients 20]
                         [--floor-data-dir DIR] [--api-pid PID]

Each client loops for the given time: reads (a project with its uses and members, a
filtered page, a full-text search) and writes (a new project, a usage of a seed artifact by
one of the client's own new projects). A write counts as acknowledged when it got HTTP 200
with no errors; afterwards every acknowledged write is looked up through the API. A client
that gets 503 waits briefly before its next request, as a client honouring Retry-After would.

--writes-only measures single-item mutations alone: `--sequential` upsertProject calls one
after another, then `--concurrent` more from `--clients` clients at once; each phase prints
p50/p95 and writes/s, and afterwards every acknowledged project and its audit event are
looked up through the API (the audit check needs the admin scope). With `--floor-data-dir`
(the data dir of the managed Neo4j the server runs on; `serve --dev` uses
~/.local/share/maestro-graph) both phases are also run, interleaved with the API's, as the
floors: the same number of transactions through the Python driver from as many concurrent
clients, first the API's own transaction (the upsert and its audit event, by the same repository
functions, without HTTP or GraphQL), then one creating a single node with no index (what the
driver, Bolt and a commit cost on this machine, removed after; the projects stay, as the API's do).

Requests go out through aiohttp, each simulated client on a connection of its own, as
independent callers are: the generator runs on the cores the server under measurement uses,
so its own CPU per request (printed) matters. Under the 50-client mixed load aiohttp spends
0.5–0.6 ms of CPU a request; httpx, which this file used before, 2.4–3.5 ms with a connection
per client and 12 ms with one pool shared by all 50 (each request checked every pooled
connection): more than the API spent answering (bench/RESULTS.md, "Mixed load: the load
generator had been the limit").

Without --token the server must run in the dev profile (loopback callers get full rights);
with one, the token needs the write scope and a role on the projects it writes.
Also imported by tests/test_load_and_faults.py, which checks the graph itself as well.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import time
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

PROJECT = """query ProjectView($id: ID!) { project(id: $id) { id name
  uses(first: 10) { totalCount edges { node { id name kind } usage { count } } }
  members(first: 10) { totalCount } } }"""
PAGE = """query ProjectPage($section: String) { projects(first: 20, filter: {section: $section},
  orderBy: {field: NAME, direction: ASC}) { totalCount edges { node { id name } } } }"""
SEARCH = """query Search($text: String!) { search(text: $text, first: 10) { score node { id name } } }"""
NEW_PROJECT = """mutation NewProject($input: ProjectInput!) { upsertProject(input: $input) { id } }"""
USE = """mutation RecordUsage($input: UsageInput!) { recordUsage(input: $input) {
  project { id } artifact { id } usage { count } } }"""
NEW_ARTIFACT = """mutation SeedArtifact($input: ArtifactInput!) { upsertArtifact(input: $input) { id } }"""

WORDS = ["churn", "forecast", "vision", "ranking", "fraud", "speech", "pricing", "search"]
SECTIONS = ["alpha", "beta", "gamma"]


@dataclass
class Seed:
    projects: list[str]
    artifacts: list[str]


@dataclass
class LoadReport:
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    # (operation, code) of every GraphQL error in an answer, whatever its HTTP status.
    error_codes: Counter = field(default_factory=Counter)
    transport_errors: Counter = field(default_factory=Counter)
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    unavailable: list[tuple[float, float]] = field(default_factory=list)  # (sent at, ms) of each 503
    # (sent at, ms) of each 504: a request the service cut off at its deadline.
    deadline_exceeded: list[tuple[float, float]] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)  # acknowledged upsertProject ids
    usages: list[tuple[str, str]] = field(default_factory=list)  # acknowledged (project, artifact)
    ok_after: list[float] = field(default_factory=list)  # times (monotonic) of successful answers
    slowest: list[tuple[float, float, str]] = field(default_factory=list)  # (sent at, ms, operation), 10 slowest

    @property
    def unavailable_ms(self) -> list[float]:
        return [ms for _, ms in self.unavailable]

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + sum(self.transport_errors.values())

    def server_errors(self) -> dict[int, int]:
        """5xx answers other than 503 (which is the service saying "retry", by design)."""
        return {status: n for status, n in self.statuses.items() if status >= 500 and status != 503}


TRANSPORT_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError)


def http_session(timeout: float = 30.0, headers: dict | None = None) -> aiohttp.ClientSession:
    """An HTTP client of one connection: one per simulated caller."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=1),
        timeout=aiohttp.ClientTimeout(total=timeout),
        headers=headers or {},
    )


@dataclass
class Answer:
    status: int
    body: dict  # {} when the answer was not JSON
    retry_after: float


async def post(client: aiohttp.ClientSession, url: str, query: str, variables: dict) -> Answer:
    async with client.post(url, json=_post_json(query, variables)) as response:
        raw = await response.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = {}
        return Answer(response.status, body if isinstance(body, dict) else {}, _seconds(response.headers))


def _seconds(headers) -> float:
    """Retry-After in seconds (1 when absent or given as a date)."""
    try:
        return float(headers.get("retry-after", 1))
    except ValueError:
        return 1.0


def _post_json(query: str, variables: dict) -> dict:
    return {"query": query, "variables": variables}


async def seed(client: aiohttp.ClientSession, url: str, prefix: str, projects: int = 20, artifacts: int = 40) -> Seed:
    """Seed projects and artifacts through the API itself, so a run needs nothing but the URL."""
    rng = random.Random(0)
    project_ids = [f"{prefix}-seed-p{i}" for i in range(projects)]
    artifact_ids = [f"{prefix}-seed-a{i}" for i in range(artifacts)]
    for i, artifact_id in enumerate(artifact_ids):
        body = {"id": artifact_id, "name": f"{rng.choice(WORDS)} model {i}", "kind": "MODEL"}
        await _must(client, url, NEW_ARTIFACT, {"input": body})
    for i, project_id in enumerate(project_ids):
        body = {"id": project_id, "name": f"{rng.choice(WORDS)} project {i}", "section": SECTIONS[i % len(SECTIONS)]}
        await _must(client, url, NEW_PROJECT, {"input": body})
    return Seed(project_ids, artifact_ids)


async def _must(client: aiohttp.ClientSession, url: str, query: str, variables: dict, retries: int = 30) -> dict:
    """One request that must succeed; a 429 (the query budget of a run's many look-ups) is
    waited out as its Retry-After says, as a well-behaved client does."""
    for _ in range(retries):
        answer = await post(client, url, query, variables)
        if answer.status != 429:
            break
        await asyncio.sleep(answer.retry_after)
    if answer.status != 200 or answer.body.get("errors"):
        raise RuntimeError(f"request failed: {answer.status} {answer.body}")
    return answer.body["data"]


class MixedLoad:
    def __init__(
        self,
        url: str,
        seed: Seed,
        prefix: str,
        clients: int = 50,
        write_share: float = 0.3,
        headers: dict | None = None,
        unavailable_pause: float = 0.2,
        timeout: float = 30.0,
    ):
        self.url, self.seed, self.prefix = url, seed, prefix
        # Longer than the service's request deadline, so the service, not the client, decides
        # when a request has taken too long.
        self.timeout = timeout
        self.clients, self.write_share = clients, write_share
        self.headers = headers or {}
        self.unavailable_pause = unavailable_pause
        self.report = LoadReport()

    async def run(self, seconds: float, stop: asyncio.Event | None = None) -> LoadReport:
        """Drive the load for `seconds` (or until `stop` is set)."""
        stop = stop or asyncio.Event()
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(*(self._own_connection(n, deadline, stop) for n in range(self.clients)))
        self.report.seconds = time.monotonic() - started
        return self.report

    async def _own_connection(self, number: int, deadline: float, stop: asyncio.Event) -> None:
        async with http_session(self.timeout, self.headers) as client:
            await self._client(client, number, deadline, stop)

    async def _client(self, client: aiohttp.ClientSession, number: int, deadline: float, stop: asyncio.Event) -> None:
        rng = random.Random(number)
        own: list[str] = []
        sequence = 0
        while time.monotonic() < deadline and not stop.is_set():
            if rng.random() < self.write_share:
                if own and rng.random() < 0.4:
                    pair = (rng.choice(own), rng.choice(self.seed.artifacts))
                    variables = {"input": {"projectId": pair[0], "artifactId": pair[1], "count": 1, "kind": "load"}}
                    if await self._call(client, "RecordUsage", USE, variables):
                        self.report.usages.append(pair)
                else:
                    sequence += 1
                    project_id = f"{self.prefix}-c{number}-{sequence}"
                    variables = {
                        "input": {
                            "id": project_id,
                            "name": f"load project {number}.{sequence}",
                            "section": "load",
                            "tags": ["load"],
                        }
                    }
                    if await self._call(client, "NewProject", NEW_PROJECT, variables):
                        self.report.projects.append(project_id)
                        own.append(project_id)
            else:
                kind = rng.random()
                if kind < 0.5:
                    await self._call(client, "ProjectView", PROJECT, {"id": rng.choice(self.seed.projects + own)})
                elif kind < 0.8:
                    await self._call(client, "ProjectPage", PAGE, {"section": rng.choice(SECTIONS)})
                else:
                    await self._call(client, "Search", SEARCH, {"text": rng.choice(WORDS)})

    async def _call(self, client: aiohttp.ClientSession, operation: str, query: str, variables: dict) -> bool:
        """One request; True when it was answered 200 with data and no errors."""
        started = time.monotonic()
        try:
            answer = await post(client, self.url, query, variables)
        except TRANSPORT_ERRORS as error:
            self.report.transport_errors[type(error).__name__] += 1
            await asyncio.sleep(self.unavailable_pause)
            return False
        elapsed_ms = (time.monotonic() - started) * 1000
        self.report.statuses[answer.status] += 1
        body = answer.body
        for problem in body.get("errors") or []:
            self.report.error_codes[(operation, (problem.get("extensions") or {}).get("code"))] += 1
        if answer.status == 504:
            self.report.deadline_exceeded.append((started, elapsed_ms))
        if answer.status == 503:
            self.report.unavailable.append((started, elapsed_ms))
            await asyncio.sleep(self.unavailable_pause)
            return False
        ok = answer.status == 200 and not body.get("errors") and body.get("data") is not None
        if ok:
            self.report.latencies_ms.setdefault(operation, []).append(elapsed_ms)
            self.report.ok_after.append(time.monotonic())
            self.report.slowest = sorted([*self.report.slowest, (started, elapsed_ms, operation)], key=lambda s: -s[1])[
                :10
            ]
        return ok


async def missing_through_api(client: aiohttp.ClientSession, url: str, report: LoadReport) -> tuple[list, list]:
    """Acknowledged projects and usages the API cannot find afterwards."""
    missing_projects, missing_usages = [], []
    ids = list(dict.fromkeys(report.projects))
    wanted: dict[str, set[str]] = {}
    for project_id, artifact_id in report.usages:
        wanted.setdefault(project_id, set()).add(artifact_id)
    for start in range(0, len(ids), 25):
        chunk = ids[start : start + 25]
        fields = " ".join(
            f'p{i}: project(id: "{pid}") {{ id uses(first: 100) {{ edges {{ node {{ id }} }} }} }}'
            for i, pid in enumerate(chunk)
        )
        data = await _must(client, url, f"{{ {fields} }}", {})
        for i, project_id in enumerate(chunk):
            node = data[f"p{i}"]
            if node is None:
                missing_projects.append(project_id)
                continue
            used = {edge["node"]["id"] for edge in node["uses"]["edges"]}
            missing_usages += [(project_id, a) for a in wanted.get(project_id, set()) - used]
    return missing_projects, missing_usages


async def unaudited_through_api(
    client: aiohttp.ClientSession, url: str, ids: list[str], action: str = "upsertProject"
) -> list[str]:
    """The ids of `ids` named by fewer `action` audit events than the times they appear there
    (each appearance is one acknowledged call that must have left an event of its own)."""
    expected = Counter(ids)
    targets = list(expected)
    missing = []
    for start in range(0, len(targets), 25):
        chunk = targets[start : start + 25]
        fields = " ".join(
            f'a{i}: auditEvents(first: 1, filter: {{action: "{action}", targetId: "{pid}"}}) {{ totalCount }}'
            for i, pid in enumerate(chunk)
        )
        data = await _must(client, url, f"{{ {fields} }}", {})
        missing += [pid for i, pid in enumerate(chunk) if data[f"a{i}"]["totalCount"] < expected[pid]]
    return missing


@dataclass
class WritePhase:
    name: str
    clients: int
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)  # HTTP status or transport error of each failed write
    through_api: bool = True  # False for the driver floor
    api_cpu_s: float = float("nan")  # CPU seconds the API process spent during the phase
    neo4j_cpu_s: float = float("nan")  # and Neo4j's

    @property
    def writes_per_second(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else float("nan")


async def write_phase(
    url: str, prefix: str, name: str, writes: int, clients: int, headers: dict, acknowledged: list[str]
) -> WritePhase:
    """`writes` upsertProject calls of new ids shared out among `clients` concurrent clients."""
    phase = WritePhase(name, clients)
    todo = iter(range(writes))

    async def client_loop() -> None:
        async with http_session(60, headers) as client:
            await write_loop(client)

    async def write_loop(client: aiohttp.ClientSession) -> None:
        for number in todo:  # one shared iterator: each write is taken by exactly one client
            project_id = f"{prefix}-{name}-{number}"
            variables = {"input": {"id": project_id, "name": f"write {number}", "section": "load", "tags": ["load"]}}
            started = time.perf_counter()
            try:
                answer = await post(client, url, NEW_PROJECT, variables)
            except TRANSPORT_ERRORS as error:
                phase.failures[type(error).__name__] += 1
                continue
            elapsed_ms = (time.perf_counter() - started) * 1000
            if answer.status == 200 and not answer.body.get("errors"):
                phase.latencies_ms.append(elapsed_ms)
                acknowledged.append(project_id)
            else:
                phase.failures[answer.status] += 1

    started = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(clients)))
    phase.seconds = time.perf_counter() - started
    return phase


def writes_markdown(phases: list[WritePhase], lost: int, unaudited: int) -> str:
    acknowledged = sum(len(phase.latencies_ms) for phase in phases if phase.through_api)
    lines = [
        f"{acknowledged} acknowledged upsertProject writes, {lost} lost, {unaudited} without an audit event\n",
        "| phase | clients | writes | failed | seconds | writes/s | p50 ms | p95 ms | CPU ms per write: API / Neo4j |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for phase in phases:
        values = phase.latencies_ms
        cpu_s = (phase.api_cpu_s, phase.neo4j_cpu_s)
        per_write = [cpu / len(values) * 1000 if values else float("nan") for cpu in cpu_s]
        lines.append(
            f"| {phase.name} | {phase.clients} | {len(values)} | {sum(phase.failures.values())} | "
            f"{phase.seconds:.2f} | {phase.writes_per_second:.0f} | {percentile(values, 0.5):.1f} | "
            f"{percentile(values, 0.95):.1f} | {per_write[0]:.2f} / {per_write[1]:.2f} |"
        )
    return "\n".join(lines)


FLOOR_WRITE = "CREATE (:LoadBenchFloor {number: $number})"


async def bare_write(tx, prefix: str, number: int) -> None:
    """The floor: one node with no index, in one transaction."""
    await (await tx.run(FLOOR_WRITE, number=number)).consume()


async def api_transaction(tx, prefix: str, number: int) -> None:
    """What the API's upsertProject runs in its transaction, by the same repository functions:
    the upsert answering with the node, then the audit event (its live-event outbox row)."""
    from maestro_graph.repositories import audit, nodes

    project_id = f"{prefix}-driver-{number}"
    props = {"name": f"write {number}", "section": "load", "tags": ["load"]}
    await nodes.upsert(tx, "Project", project_id, props)
    event = audit.Event(
        action="upsertProject",
        actor="bench",
        client_id=None,
        person_id=None,
        targets=[project_id],
        changed=sorted(props),
        project_ids=[project_id],
        artifact_ids=[],
    )
    await audit.record_many(tx, [event])


async def floor_phase(driver, name: str, work, prefix: str, writes: int, clients: int) -> WritePhase:
    """`writes` write transactions of `work`, from `clients` concurrent clients, through the driver."""
    phase = WritePhase(name, clients, through_api=False)
    todo = iter(range(writes))

    async def client_loop() -> None:
        for number in todo:
            started = time.perf_counter()
            async with driver.session() as session:
                await session.execute_write(work, prefix, number)
            phase.latencies_ms.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(clients)))
    phase.seconds = time.perf_counter() - started
    return phase


async def _writes_only(args: argparse.Namespace, headers: dict) -> int:
    prefix = f"writes{int(time.time())}"
    acknowledged: list[str] = []
    async with http_session(headers=headers) as client:
        # One write first, so that neither phase pays for the first connection or query plan.
        await _must(client, args.url, NEW_PROJECT, {"input": {"id": f"{prefix}-warm", "name": "warm-up"}})
    driver = None
    if args.floor_data_dir is not None:
        from neo4j import AsyncGraphDatabase

        from maestro_graph.db import managed_neo4j

        conn = managed_neo4j.status(args.floor_data_dir)
        if conn is None:
            raise SystemExit(f"no managed Neo4j runs for {args.floor_data_dir}")
        driver = AsyncGraphDatabase.driver(conn.uri, auth=(conn.user, conn.password))
        for work in (bare_write, api_transaction):  # connection and plans, outside the timing
            async with driver.session() as session:
                await session.execute_write(work, f"{prefix}-warm", 0)
    from bulk_writes import cpu_seconds, neo4j_pid

    pids = (args.api_pid, neo4j_pid(args.floor_data_dir) if args.floor_data_dir is not None else None)

    async def metered(run: Awaitable[WritePhase]) -> WritePhase:
        before = [cpu_seconds(pid) for pid in pids]
        phase = await run
        phase.api_cpu_s, phase.neo4j_cpu_s = (cpu_seconds(pid) - was for pid, was in zip(pids, before, strict=True))
        return phase

    phases = []
    for name, writes, clients in (("sequential", args.sequential, 1), ("concurrent", args.concurrent, args.clients)):
        phases.append(await metered(write_phase(args.url, prefix, name, writes, clients, headers, acknowledged)))
        if driver is not None:
            phases.append(
                await metered(
                    floor_phase(
                        driver, f"{name}: driver, the API's transaction", api_transaction, prefix, writes, clients
                    )
                )
            )
            phases.append(
                await metered(
                    floor_phase(driver, f"{name}: driver, one bare node", bare_write, prefix, writes, clients)
                )
            )
    if driver is not None:
        await driver.execute_query("MATCH (n:LoadBenchFloor) DELETE n")
        await driver.close()
    async with http_session(headers=headers) as client:
        missing, _ = await missing_through_api(client, args.url, LoadReport(projects=acknowledged))
        unaudited = await unaudited_through_api(client, args.url, acknowledged)
    print(writes_markdown(phases, len(missing), len(unaudited)))
    failed = any(phase.failures for phase in phases)
    return 1 if missing or unaudited or failed else 0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def markdown(report: LoadReport, clients: int, lost: int) -> str:
    failures = f", transport errors {dict(report.transport_errors)}" if report.transport_errors else ""
    lines = [
        f"{clients} clients for {report.seconds:.1f} s: {report.requests} requests "
        f"({report.requests / report.seconds:.0f} req/s), statuses {dict(report.statuses)}{failures}, "
        f"{len(report.projects) + len(report.usages)} acknowledged writes, {lost} lost\n",
        "| operation | answered | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|",
    ]
    every = [ms for values in report.latencies_ms.values() for ms in values]
    for operation, values in [*sorted(report.latencies_ms.items()), ("every request", every)]:
        if values:
            lines.append(
                f"| {operation} | {len(values)} | {statistics.median(values):.1f} | "
                f"{percentile(values, 0.95):.1f} | {percentile(values, 0.99):.1f} |"
            )
    return "\n".join(lines)


async def _main(args: argparse.Namespace) -> int:
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    if args.writes_only:
        return await _writes_only(args, headers)
    prefix = f"load{int(time.time())}"
    async with http_session(headers=headers) as client:
        seeded = await seed(client, args.url, prefix)
    from bulk_writes import cpu_seconds

    load = MixedLoad(args.url, seeded, prefix, args.clients, args.write_share, headers)
    before = cpu_seconds(os.getpid()), cpu_seconds(args.api_pid)
    report = await load.run(args.seconds)
    generator_s, api_s = (cpu_seconds(pid) - was for pid, was in zip((os.getpid(), args.api_pid), before, strict=True))
    async with http_session(headers=headers) as client:
        missing_projects, missing_usages = await missing_through_api(client, args.url, report)
        # A usage recorded twice may leave one event: each distinct pair must have left one.
        usage_targets = [project for project, _ in set(report.usages)]
        unaudited = await unaudited_through_api(client, args.url, report.projects)
        unaudited += await unaudited_through_api(client, args.url, usage_targets, action="recordUsage")
    lost = len(missing_projects) + len(missing_usages)
    print(markdown(report, args.clients, lost))
    print(f"\nAcknowledged writes without their audit event: {len(unaudited)}")
    # The generator runs on the server's machine: its CPU per request says how much of the
    # machine the measurement itself took.
    per_request = 1000 / max(report.requests, 1)
    api = f", API {api_s * per_request:.2f} ms" if args.api_pid else ""
    print(f"\nCPU per request: load generator {generator_s * per_request:.2f} ms{api}")
    return 1 if lost or unaudited or report.server_errors() or report.transport_errors else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000/graphql")
    parser.add_argument("--clients", type=int, help="concurrent clients (default 50; 20 with --writes-only)")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--write-share", type=float, default=0.3)
    parser.add_argument("--token")
    parser.add_argument("--writes-only", action="store_true", help="single-item mutations only, no reads")
    parser.add_argument("--sequential", type=int, default=100, help="with --writes-only: writes one at a time")
    parser.add_argument("--concurrent", type=int, default=200, help="with --writes-only: writes from --clients")
    parser.add_argument(
        "--floor-data-dir", type=Path, help="with --writes-only: the server's managed Neo4j, for the driver floor"
    )
    parser.add_argument("--api-pid", type=int, help="the server's process, for its CPU per request or write")
    args = parser.parse_args()
    if args.clients is None:
        args.clients = 20 if args.writes_only else 50
    raise SystemExit(asyncio.run(_main(args)))


if __name__ == "__main__":
    main()
