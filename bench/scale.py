"""How cost grows with the graph: the same measures on the original bundle and on copies grown
4x and 16x (bench/grow_bundle.py), each size in a fresh managed Neo4j of its own.

    python bench/scale.py [--sizes 1,4,16] [--train-sizes 1] [--no-offline] [--requests 200]
                          [--read-passes 1] [--pass-gap 60]

Per size, in order:

1. A newcomer's first import: a fresh data dir, `maestro-graph serve --dev` running, then
   `maestro-graph import BUNDLE` in a process of its own: its rows/s (as it prints it, and by
   the wall clock of the whole command), its peak RSS, Neo4j's peak RSS.
2. `train` (train_and_publish, in this process) on sizes named by --train-sizes, each with an
   empty text-vector cache of its own (every text embedded, as on a fresh machine): seconds per
   stage (TrainReport timings) and this process's peak RSS at the end of each stage.
3. Once Neo4j has settled (indexes online, the full-text index refreshed),
   through the API of the running `serve`: p50/p95 of the representative reads
   (bench/representative_queries.py, the full-text search among them) and of
   recommendArtifacts when the size was trained; one request in flight; in --read-passes
   rounds --pass-gap seconds apart, with Neo4j's CPU by kind of thread during each round and
   each gap (its JIT compilers and background work share the reads' cores).
4. `import --initial` (maestro_graph/ingest/offline_import.py) into another fresh data dir: the
   same graph written by Neo4j's own offline importer (`neo4j-admin database import full`), then
   the server's first start, the migrations (constraints and indexes built over the imported
   nodes) and the few writes the importer's CSV cannot hold; timed by phase, and end to end.

Data under /tmp/maestro-scale-xF (wiped first), Bolt on 18687; grown bundles under
/tmp/maestro-scale-bundles (kept: a seed makes the same bytes). NEO4J_URI is ignored.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import grow_bundle
import httpx
from cli_import import cli_import, fresh, gib, neo4j_cpu_split, neo4j_pid, peak_rss_kib, thread_cpu_seconds
from live_server import UNLIMITED_BUDGET, ServerProcess
from load import percentile
from representative_queries import CASES

from maestro_graph.config import Settings
from maestro_graph.db import managed_neo4j
from maestro_graph.db.connection import Neo4jTarget, open_driver
from maestro_graph.ingest.offline_import import import_initial
from maestro_graph.ml.text_embedding import CACHE_DIR_ENV, MiniLMEmbedder
from maestro_graph.ml.training.train_command import train_and_publish

ROOT = Path(__file__).resolve().parents[1]
DATA_ROOT = Path("/tmp/maestro-scale")
BUNDLES = Path("/tmp/maestro-scale-bundles")
BOLT, HTTP = 18687, 18474
RECOMMEND = "query($id: ID!) { recommendArtifacts(projectId: $id, k: 10) { artifact { id name } score } }"
IMPORT_TARGET = 50_000  # rows/s, every size
READ_GROWTH_TARGET = 1.2  # p95 at the largest size over p95 at 1x
MEMORY_LIMIT_GIB = 24


@dataclass(frozen=True)
class Place:
    """Where a run keeps its data and which ports its Neo4j listens on."""

    bundle: Path = grow_bundle.DEFAULT_BUNDLE  # the 1x bundle, which the others grow from
    data_root: Path = DATA_ROOT
    bundles: Path = BUNDLES
    bolt: int = BOLT
    http: int = HTTP

    def data_dir(self, factor: int) -> Path:
        return Path(f"{self.data_root}-x{factor}")


@dataclass
class SizeResult:
    factor: int
    rows: int = 0
    figures: dict[str, str] = field(default_factory=dict)
    read_p95: dict[str, float] = field(default_factory=dict)
    train_seconds: float | None = None
    edges: int = 0
    rows_per_second: float = 0.0
    peak_kib: int = 0  # Neo4j's peak RSS plus the largest Python one (importer, or training)
    train_peak_kib: int = 0  # this process's peak RSS once training at this size ended


def bundle_for(factor: int, seed: int, place: Place) -> Path:
    if factor == 1:
        return place.bundle
    out = place.bundles / f"{place.bundle.name}-x{factor}-seed{seed}"
    if not (out / "outcomes.csv.gz").exists():
        started = time.perf_counter()
        print("\n".join(grow_bundle.grow(place.bundle, out, factor, seed)))
        print(f"(grown in {time.perf_counter() - started:.0f} s)\n", flush=True)
    return out


# -- 1. the offline importer ------------------------------------------------------------


def offline_import(bundle: Path, data_dir: Path, place: Place) -> dict[str, str]:
    """`import --initial` into a fresh data dir whose server has never started (the product's code
    path, in this process); its figures by phase."""
    fresh(data_dir)
    settings = Settings(data_dir=data_dir, neo4j_uri=None, neo4j_bolt_port=place.bolt, neo4j_http_port=place.http)
    report = import_initial(settings, bundle)
    neo4j_peak = peak_rss_kib(neo4j_pid(data_dir))
    fresh(data_dir)
    phases, rows = report.phases, report.rows_read
    admin_s = phases["neo4j-admin import"]
    return {
        "neo4j-admin import full (empty store)": f"{admin_s:.1f} s, {rows / admin_s:,.0f} rows/s",
        "  + first start + migrations (index build)": f"{phases['start']:.1f} s + {phases['migrations']:.1f} s",
        "  import --initial in all (bundle checked, CSV, import, start, migrations)": f"{report.seconds:.1f} s, "
        f"{report.rows_per_second:,.0f} rows/s (read, check and CSV {phases['read, check and CSV']:.1f} s, "
        f"writes after the start {phases['online writes']:.1f} s)",
        "  Neo4j peak RSS after index build": gib(neo4j_peak),
    }


# -- 2. a newcomer's first import -------------------------------------------------------


# -- 3. training --------------------------------------------------------------------------


def train(driver, result: SizeResult) -> None:
    stages: list[tuple[str, float]] = []

    def on_step(step: str) -> None:  # called as each stage starts: the peak so far ends the last
        stages.append((step, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))

    started = time.perf_counter()
    # Every size embeds its texts into an empty cache of its own, as on a fresh machine: the grown
    # graphs keep world 0's texts, which a cache shared across sizes would already hold.
    with tempfile.TemporaryDirectory(prefix="maestro-scale-embed-") as cache:
        os.environ[CACHE_DIR_ENV] = cache
        try:
            report = train_and_publish(driver, "neo4j", MiniLMEmbedder(), progress=on_step)
        finally:
            del os.environ[CACHE_DIR_ENV]
    result.train_seconds = time.perf_counter() - started
    result.train_peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Only the timed stages: the progress within a stage (embedding's "N of M") is no stage.
    timed = [(step, peak) for step, peak in stages if step in report.timings]
    ends = [peak for _, peak in timed[1:]] + [result.train_peak_kib]
    result.figures["train, all stages"] = f"{result.train_seconds:.0f} s"
    for (step, _), peak in zip(timed, ends, strict=True):
        result.figures[f"  {step}"] = f"{report.timings[step]:.1f} s, peak RSS {gib(peak)}"


# -- 4. reads through the API -----------------------------------------------------------


def variables(driver, rng: random.Random, n: int) -> dict[str, list[dict]]:
    def ids(query: str) -> list:
        return [record[0] for record in driver.execute_query(query, database_="neo4j").records]

    projects = ids("MATCH (p:Project) WHERE (p)-[:USES]->() RETURN p.id")
    artifacts = ids("MATCH (a:Artifact) WHERE (a)<-[:USES]-() RETURN a.id")
    sections = ids("MATCH (p:Project) WHERE p.section IS NOT NULL RETURN DISTINCT p.section")
    names = ids("MATCH (p:Project) RETURN p.name LIMIT 2000")
    words = [w for w in names if w.isalpha()] or [w for w in names if w.isalnum()]
    return {
        "project": [{"id": rng.choice(projects)} for _ in range(n)],
        "artifact": [{"id": rng.choice(artifacts)} for _ in range(n)],
        "section": [{"section": rng.choice(sections)} for _ in range(n)],
        "text": [{"text": rng.choice(words)} for _ in range(n)],
    }


def settle(driver) -> None:
    """Let Neo4j finish what the import (and training) left behind before reads are timed: the
    population of every index and the full-text index's refresh (eventually consistent,
    migration 0007), which a search would otherwise wait for."""
    for query in ("CALL db.awaitIndexes(600)", "CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh()"):
        driver.execute_query(query, database_="neo4j")


def latencies(client: httpx.Client, url: str, query: str, variable_sets: list[dict]) -> list[float]:
    timings = []
    for variable_set in variable_sets:
        started = time.perf_counter()
        response = client.post(url, json={"query": query, "variables": variable_set})
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200 and "errors" not in response.json(), response.text[:500]
    return timings


def reads(
    url: str, pool: dict[str, list[dict]], trained: bool, result: SizeResult, neo4j: int, passes: int, gap: float
) -> None:
    """`passes` rounds of every read, `gap` seconds apart; each with what Neo4j's threads spent
    meanwhile (its JIT compilers and background work take the cores the reads need). The last
    round's p95 is the one the verdicts compare."""
    cases = {name: (document, kind) for name, (document, _, kind) in CASES.items()}
    if trained:
        cases["recommendArtifacts"] = (RECOMMEND, "project")
    with httpx.Client(timeout=60) as client:
        for number in range(1, passes + 1):
            suffix = f", pass {number}" if passes > 1 else ""
            if number > 1:
                before = thread_cpu_seconds(neo4j)
                time.sleep(gap)
                result.figures[f"Neo4j CPU in the {gap:.0f} s idle before pass {number}"] = neo4j_cpu_split(
                    before, thread_cpu_seconds(neo4j)
                )
            before = thread_cpu_seconds(neo4j)
            for name, (document, kind) in cases.items():
                latencies(client, url, document, pool[kind][:20])  # warm the plan cache and pool
                timings = latencies(client, url, document, pool[kind])
                result.read_p95[name] = percentile(timings, 0.95)
                result.figures[f"{name} p50 / p95{suffix}"] = (
                    f"{statistics.median(timings):.1f} / {percentile(timings, 0.95):.1f} ms"
                )
            result.figures[f"Neo4j CPU during the reads{suffix}"] = neo4j_cpu_split(before, thread_cpu_seconds(neo4j))


# -- one size ------------------------------------------------------------------------------


def measure(
    factor: int, seed: int, train_it: bool, offline: bool, requests: int, place: Place, passes: int = 1, gap: float = 0
) -> SizeResult:
    bundle = bundle_for(factor, seed, place)
    data_dir = place.data_dir(factor)
    result = SizeResult(factor)
    fresh(data_dir)
    conn = managed_neo4j.start(data_dir, place.bolt, place.http)
    target = Neo4jTarget(conn.uri, conn.user, conn.password, "neo4j")
    try:
        with ServerProcess(target, data_dir, env=UNLIMITED_BUDGET) as server:
            first = cli_import(bundle, data_dir, place.bolt, place.http)
            importer_kib = first.peak_rss_kib
            result.rows = first.rows
            result.rows_per_second = first.rows_per_second
            result.figures["first import (serve running)"] = first.describe()
            result.figures["  importer peak RSS"] = gib(importer_kib)
            result.figures["  Neo4j peak RSS"] = gib(peak_rss_kib(neo4j_pid(data_dir)))
            with open_driver(target) as driver:
                result.edges = driver.execute_query("MATCH ()-[r]->() RETURN count(r) AS n").records[0]["n"]
                if train_it:
                    train(driver, result)
                pool = variables(driver, random.Random(seed), requests)
                settle(driver)
            reads(f"{server.url}/graphql", pool, train_it, result, neo4j_pid(data_dir), passes, gap)
        neo4j_peak = peak_rss_kib(neo4j_pid(data_dir))
        result.figures["Neo4j peak RSS, whole run"] = gib(neo4j_peak)
        python_peak = max(importer_kib, result.train_peak_kib)
        result.peak_kib = neo4j_peak + python_peak
    finally:
        fresh(data_dir)
    if offline:
        result.figures.update(offline_import(bundle, data_dir, place))
    return result


def render(results: list[SizeResult]) -> str:
    names = list(dict.fromkeys(name for result in results for name in result.figures))
    lines = [
        "| measure | " + " | ".join(f"{r.factor}x ({r.rows:,} rows, {r.edges:,} edges)" for r in results) + " |",
        "|---" * (len(results) + 1) + "|",
    ]
    for name in names:
        lines.append(f"| {name} | " + " | ".join(r.figures.get(name, "-") for r in results) + " |")
    return "\n".join(lines)


def verdicts(results: list[SizeResult]) -> list[str]:
    lines = []
    base = results[0]
    for result in results:
        verdict = "met" if result.rows_per_second >= IMPORT_TARGET else "NOT met"
        lines.append(
            f"- {result.factor}x first import {result.rows_per_second:,.0f} rows/s "
            f"vs target {IMPORT_TARGET:,}: {verdict}"
        )
    for result in results[1:]:
        for name, p95 in result.read_p95.items():
            if name in base.read_p95:
                ratio = p95 / base.read_p95[name]
                verdict = "met" if ratio <= READ_GROWTH_TARGET else "NOT met"
                lines.append(
                    f"- {name} p95 {result.factor}x / 1x: {ratio:.2f}x (target <= {READ_GROWTH_TARGET}): {verdict}"
                )
    for result in results:
        peak = result.peak_kib / 1024 / 1024
        verdict = "met" if peak <= MEMORY_LIMIT_GIB else "NOT met"
        lines.append(f"- {result.factor}x peak memory (Neo4j + the largest Python process): {peak:.1f} GiB "
                     f"vs {MEMORY_LIMIT_GIB} GiB: {verdict}")  # fmt: skip
    trained = [r for r in results if r.train_seconds is not None]
    for result in trained[1:]:
        time_ratio = result.train_seconds / trained[0].train_seconds  # type: ignore[operator]
        edge_ratio = result.edges / trained[0].edges
        verdict = "met" if time_ratio <= edge_ratio else "NOT met"
        lines.append(
            f"- train {result.factor}x / {trained[0].factor}x: {time_ratio:.2f}x the time "
            f"for {edge_ratio:.2f}x the edges: {verdict}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1,4,16", help="factors, comma-separated (1 is the original)")
    parser.add_argument("--train-sizes", default="1", help="factors to train at ('' for none)")
    parser.add_argument(
        "--no-offline", action="store_true", help="skip `import --initial` (neo4j-admin's offline import)"
    )
    parser.add_argument("--requests", type=int, default=200, help="requests per read, after 20 to warm up")
    parser.add_argument("--read-passes", type=int, default=1, help="rounds of the reads; the last is compared")
    parser.add_argument("--pass-gap", type=float, default=60.0, help="idle seconds between rounds of the reads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bundle", type=Path, default=grow_bundle.DEFAULT_BUNDLE, help="the 1x bundle")
    parser.add_argument("--data-root", type=Path, default=DATA_ROOT, help="data dirs are ROOT-xF, wiped first")
    parser.add_argument("--bundles", type=Path, default=BUNDLES, help="where grown bundles are written")
    parser.add_argument("--bolt-port", type=int, default=BOLT)
    args = parser.parse_args()
    place = Place(args.bundle, args.data_root, args.bundles, args.bolt_port, args.bolt_port - 213)
    sizes = [int(size) for size in args.sizes.split(",")]
    train_sizes = {int(size) for size in args.train_sizes.split(",") if size}
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    results = []
    for factor in sizes:
        started = time.perf_counter()
        results.append(
            measure(
                factor,
                args.seed,
                factor in train_sizes,
                not args.no_offline,
                args.requests,
                place,
                args.read_passes,
                args.pass_gap,
            )
        )
        print(f"({factor}x measured in {time.perf_counter() - started:.0f} s; load average "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())})", flush=True)  # fmt: skip
        print(render(results), flush=True)
    print()
    print("\n".join(verdicts(results)))


if __name__ == "__main__":
    main()
