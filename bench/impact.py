"""`impactOfRemoving` on a CSV bundle, for the artifact with the most users, beside the plain
Cypher traversal of the same projects measured in the same run.

    python bench/impact.py [BUNDLE_DIR] [--requests N] [--data-dir DIR --bolt-port P --http-port P]

Targets: the first page (20 projects, with paths, members and re-scoring) at p95 <= 250 ms,
the depth-3 totals (every project reached, re-scored) within 1 s.

Re-scoring needs an outcome model version with removal evaluations. Training the full model
on the bundle takes minutes, so this bench publishes a smaller real one in its place: the
bag-of-artifacts logistic regression of `outcome_scores` (the success head's "artifacts"
view), fit on every outcome label, and per USES edge its exact evaluation with that artifact
taken out (the model is linear in the USES columns). The stored shape, and so the work a
request does, is the one `maestro-graph train` publishes.

Uses a managed Neo4j of its own (default ~/.cache/maestro-graph/bench-data, Bolt 27687),
importing the bundle when it is empty; NEO4J_URI is ignored so a real graph is never touched.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import httpx
import neo4j
import numpy as np
from live_server import ServerProcess
from load import percentile

from maestro_graph.db import managed_neo4j, migrations
from maestro_graph.db.connection import Neo4jTarget, open_driver
from maestro_graph.ingest.bundle_import import import_bundle
from maestro_graph.ml.serving.outcome_versions import outcome_rows
from maestro_graph.ml.serving.publish import TaskResult, publish
from maestro_graph.ml.training.graph_export import export_usage_graph
from maestro_graph.ml.training.outcome_scores import outcome_scores
from maestro_graph.repositories import impact

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path.home() / ".cache" / "maestro-graph" / "bench-data"
PAGE = 20
DEPTH = 3

FIRST_PAGE = f"""
query($id: ID!) {{
  impactOfRemoving(artifactIds: [$id], depth: {DEPTH}, first: {PAGE}) {{
    modelVersion
    projects {{ totalCount edges {{ node {{
      project {{ id name }} depth path {{ id }} notify {{ role people {{ id }} }}
      successNow successWithout change rescoring
    }} }} }}
  }}
}}
"""
TOTALS = f"""
query($id: ID!) {{
  impactOfRemoving(artifactIds: [$id], depth: {DEPTH}, first: 0) {{
    modelVersion
    totals {{ projects rescoredProjects expectedChangeInSuccessfulProjects byDepth {{ depth projects }} }}
  }}
}}
"""
# The baselines: the same traversal in plain Cypher, without paths, members or predictions.
PLAIN_PAGE = f"""
MATCH path = (a:Artifact)-[:DERIVED_FROM*0..{DEPTH - 1}]->(:Artifact {{id: $id}})
MATCH (p:Project)-[:USES]->(a)
WITH DISTINCT p ORDER BY p.name, p.id LIMIT {PAGE}
RETURN p.id AS id, p.name AS name
"""
PLAIN_COUNT = f"""
MATCH path = (a:Artifact)-[:DERIVED_FROM*0..{DEPTH - 1}]->(:Artifact {{id: $id}})
MATCH (p:Project)-[:USES]->(a)
RETURN count(DISTINCT p) AS projects
"""


def publish_linear_outcome_model(driver: neo4j.Driver) -> str:
    graph = export_usage_graph(driver, "neo4j")
    scores = outcome_scores(graph, folds=1, views=("artifacts",))
    removal_logit = scores.all_label_scores[:, 0].astype(np.float64)
    success = 1.0 / (1.0 + np.exp(removal_logit))
    # Without artifact a, the removal logit loses a's weight: the model's exact evaluation.
    without = 1.0 / (1.0 + np.exp(removal_logit[graph.uses[:, 0]] - scores.artifact_weights(graph)))
    changes = without - success[graph.uses[:, 0]]
    rows = outcome_rows(graph, success, changes)
    return publish(driver, "neo4j", TaskResult("outcome", rows, params={"bench": "bag-of-artifacts logistic"}))


def timed_http(client: httpx.Client, url: str, query: str, artifact: str) -> tuple[float, dict]:
    started = time.perf_counter()
    response = client.post(url, json={"query": query, "variables": {"id": artifact}})
    elapsed = (time.perf_counter() - started) * 1000
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return elapsed, body["data"]


def timed_cypher(driver: neo4j.Driver, query: str, artifact: str) -> float:
    started = time.perf_counter()
    driver.execute_query(query, id=artifact, database_="neo4j", routing_=neo4j.RoutingControl.READ)
    return (time.perf_counter() - started) * 1000


def summary(name: str, timings: list[float], baseline: list[float], target: str) -> str:
    p50, p95 = statistics.median(timings), percentile(timings, 0.95)
    b50, b95 = statistics.median(baseline), percentile(baseline, 0.95)
    return f"| {name} | {p50:.0f} | {p95:.0f} | {b50:.0f} | {b95:.0f} | {p95 / max(b95, 1e-9):.1f}x | {target} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("bundle", nargs="?", default=str(ROOT.parent / "shared" / "datasets" / "debian-bullseye"))
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--bolt-port", type=int, default=27687)
    parser.add_argument("--http-port", type=int, default=27474)
    args = parser.parse_args()

    conn = managed_neo4j.start(args.data_dir, bolt_port=args.bolt_port, http_port=args.http_port)
    target = Neo4jTarget(conn.uri, conn.user, conn.password, "neo4j")
    with open_driver(target) as driver:
        migrations.migrate(driver, "neo4j")
        if not driver.execute_query("MATCH (p:Project) RETURN count(p) > 0 AS any", database_="neo4j").records[0][0]:
            started = time.perf_counter()
            import_bundle(driver, "neo4j", Path(args.bundle))
            print(f"imported {args.bundle} in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        version = publish_linear_outcome_model(driver)
        print(f"published outcome model {version} in {time.perf_counter() - started:.1f} s")
        top = driver.execute_query(
            "MATCH (a:Artifact) RETURN a.id AS id, COUNT { (a)<-[:USES]-() } AS users ORDER BY users DESC LIMIT 1",
            database_="neo4j",
        ).records[0]
        artifact, n_users = top["id"], top["users"]
        print(f"artifact with the most users: {artifact} ({n_users} projects)")
        assert impact.MAX_DEPTH >= DEPTH

        with ServerProcess(target, args.data_dir) as server, httpx.Client(timeout=60) as client:
            url = f"{server.url}/graphql"
            for _ in range(3):  # warm both paths: plans cached, pages in memory
                timed_http(client, url, FIRST_PAGE, artifact)
                timed_http(client, url, TOTALS, artifact)
                timed_cypher(driver, PLAIN_PAGE, artifact)
                timed_cypher(driver, PLAIN_COUNT, artifact)
            page, plain_page, totals, plain_count = [], [], [], []
            answer: dict = {}
            for _ in range(args.requests):
                page.append(timed_http(client, url, FIRST_PAGE, artifact)[0])
                plain_page.append(timed_cypher(driver, PLAIN_PAGE, artifact))
                elapsed, answer = timed_http(client, url, TOTALS, artifact)
                totals.append(elapsed)
                plain_count.append(timed_cypher(driver, PLAIN_COUNT, artifact))

    found = answer["impactOfRemoving"]
    print(f"model {found['modelVersion']}; totals {found['totals']}")
    print()
    print("| request | p50 ms | p95 ms | baseline p50 ms | baseline p95 ms | p95 / baseline | target |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print(summary(f"first page ({PAGE}) over GraphQL", page, plain_page, "p95 <= 250 ms"))
    print(summary(f"depth-{DEPTH} totals over GraphQL", totals, plain_count, "<= 1000 ms"))
    print(
        f"\nbaselines: the plain Cypher traversal (page of ids; count) through the driver; "
        f"{args.requests} requests each"
    )


if __name__ == "__main__":
    main()
