"""Training time, recommendation latency through GraphQL and embedding throughput on a
CSV bundle, each beside a baseline measured in the same run.

    python bench/ml_serving.py [BUNDLE_DIR] [--requests N] [--fresh]

`--fresh` gives the first `train` an empty text-vector cache, as on a fresh machine, so every
text is embedded; without it, vectors cached by earlier runs are reused.

Uses its own managed Neo4j (~/.cache/maestro-graph/bench-data, Bolt 27687), which it
wipes and re-imports; NEO4J_URI is ignored so a real graph is never touched.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from live_server import ServerProcess
from load import percentile

from maestro_graph.db import managed_neo4j, migrations
from maestro_graph.db.connection import Neo4jTarget, open_driver
from maestro_graph.ingest.bundle_import import import_bundle
from maestro_graph.ml.text_embedding import CACHE_DIR_ENV, MiniLMEmbedder
from maestro_graph.ml.training.train_command import train_and_publish

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path.home() / ".cache" / "maestro-graph" / "bench-data"
RECOMMEND = "query($id: ID!) { recommendArtifacts(projectId: $id, k: 10) { artifact { id name } score modelVersion } }"
BASELINE = "query($id: ID!) { project(id: $id) { id name } }"


def latencies(url: str, query: str, ids: list[str]) -> list[float]:
    timings = []
    with httpx.Client(timeout=30) as client:
        for project_id in ids:
            started = time.perf_counter()
            response = client.post(url, json={"query": query, "variables": {"id": project_id}})
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200 and "errors" not in response.json(), response.text
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("bundle", nargs="?", default=str(ROOT.parent / "shared" / "datasets" / "debian-bullseye"))
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--fresh", action="store_true", help="start from an empty text-vector cache")
    parser.add_argument("--train-only", action="store_true", help="one train, no retrain and no API requests")
    args = parser.parse_args()
    if args.fresh:
        os.environ[CACHE_DIR_ENV] = tempfile.mkdtemp(prefix="maestro-embed-cache-")

    conn = managed_neo4j.start(DATA_DIR, bolt_port=27687, http_port=27474)
    target = Neo4jTarget(conn.uri, conn.user, conn.password, "neo4j")
    rows = []
    with open_driver(target) as driver:
        with driver.session() as session:
            session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 1000 ROWS").consume()
        migrations.migrate(driver, "neo4j")
        import_bundle(driver, "neo4j", Path(args.bundle))

        started = time.perf_counter()
        report = train_and_publish(driver, "neo4j", MiniLMEmbedder())
        train_s = time.perf_counter() - started
        rows.append(("train + publish, all four tasks", f"{train_s:.0f} s (target ≤ 300 s)"))
        rows += [(f"  {step}", f"{seconds:.1f} s") for step, seconds in report.timings.items()]
        if args.train_only:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            _print_table([*rows, ("peak memory (this process)", f"{peak:.0f} MiB")])
            return
        # Again on the same graph: nothing left to embed, and the first run's answers to replace.
        started = time.perf_counter()
        again = train_and_publish(driver, "neo4j", MiniLMEmbedder())
        rows.append(
            (
                "retrain on the unchanged graph, all four tasks",
                f"{time.perf_counter() - started:.0f} s (fit {again.timings['fit link blends']:.0f} s, "
                f"embed {again.timings['embed nodes']:.1f} s, publish "
                f"{sum(v for k, v in again.timings.items() if k.startswith('publish')):.1f} s)",
            )
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows.append(("peak memory (this process)", f"{peak:.0f} MiB"))

        warm = [
            r["id"]
            for r in driver.execute_query(
                "MATCH (p:Project) WHERE (p)-[:RECOMMENDED]->() RETURN p.id AS id ORDER BY id"
            ).records
        ]
    ids = random.Random(0).sample(warm, min(args.requests, len(warm)))

    # The API in a process of its own, so this client does not share its interpreter.
    with ServerProcess(target, DATA_DIR) as server:
        url = f"{server.url}/graphql"
        latencies(url, RECOMMEND, ids[:20])  # warm the pool and caches
        base = latencies(url, BASELINE, ids)
        rec = latencies(url, RECOMMEND, ids)
    rows.append(
        (
            "recommendArtifacts p50 / p95",
            f"{statistics.median(rec):.1f} / {percentile(rec, 0.95):.1f} ms (target p95 ≤ 30 ms)",
        )
    )
    rows.append(("baseline project(id) p50 / p95", f"{statistics.median(base):.1f} / {percentile(base, 0.95):.1f} ms"))
    rows.append(("recommendation p95 / baseline p95", f"{percentile(rec, 0.95) / percentile(base, 0.95):.2f}x"))

    texts = [f"benchmark text {i}: a project that trains a model on data set number {i}" for i in range(1000)]
    embedder = MiniLMEmbedder()
    embedder(texts[:10])  # load the model outside the measurement
    started = time.perf_counter()
    embedder(texts)
    rate = len(texts) / (time.perf_counter() - started)
    rows.append(("embedding throughput (MiniLM, CPU)", f"{rate:.0f} texts/s"))

    _print_table(rows)


def _print_table(rows: list[tuple[str, str]]) -> None:
    print("| measure | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
