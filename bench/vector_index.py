"""What the vector index's build setting costs `train`'s vector writes, and what it gives search.

    python bench/vector_index.py [BUNDLE_DIR] [--ef 100,48,24] [--queries 200]

`train` stores every project's and artifact's sentence vector on its node, and Neo4j adds each
to an HNSW vector index as the transaction commits. Per value of `vector.hnsw.ef_construction`
(how many candidates Neo4j weighs when it links a new vector in; 100 is Neo4j's default and the
schema's), in one managed Neo4j of its own (its data dir wiped first):

1. a scratch label's vector index with that setting (m 16, cosine, quantisation on, as the
   schema's), then every distinct project text's vector written to its own node in batches of
   2,048, as `train` writes them: seconds, and vectors per second;
2. search quality: for --queries held-out project texts, the index's top 10
   (`db.index.vector.queryNodes`) against the exact top 10 by cosine over the same vectors:
   recall@10.

Then, on the first setting's index, the top 10 of more candidates than 10 (--candidates), ordered
by the exact cosine of their stored vectors: recall@10 and milliseconds per query beside the
index's own top 10.

The vectors are all-MiniLM-L6-v2's, through the text-vector cache (a fresh machine embeds them
first). The settings run in the order given; the first is the baseline of the ratio column.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import random
import shutil
import time
from pathlib import Path

import numpy as np

from maestro_graph.db import managed_neo4j, parameters
from maestro_graph.db.connection import Neo4jTarget, open_driver
from maestro_graph.ml.text_embedding import MiniLMEmbedder, embed_texts, node_text
from maestro_graph.net import free_loopback_port

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BUNDLE = ROOT.parent / "shared" / "datasets" / "debian-bullseye"
DATA_DIR = Path("/tmp/maestro-vector-bench")
WRITE_BATCH = 2048  # ml/training/node_embeddings.py's
SEED = 0

CREATE_INDEX = """
CREATE VECTOR INDEX vector_bench IF NOT EXISTS FOR (n:VectorBench) ON n.embedding
OPTIONS {indexConfig: {`vector.dimensions`: 384, `vector.similarity_function`: 'cosine',
                       `vector.hnsw.m`: 16, `vector.hnsw.ef_construction`: $ef}}
"""
WRITE = """
UNWIND $rows AS row
CREATE (n:VectorBench {id: row.id})
WITH n, row
CALL db.create.setNodeVectorProperty(n, 'embedding', row.vector)
"""
QUERY = "CALL db.index.vector.queryNodes('vector_bench', 10, $vector) YIELD node RETURN node.id AS id"
# The index's candidates, more of them than the answer needs, ordered by exact cosine.
RERANKED = """
CALL db.index.vector.queryNodes('vector_bench', $candidates, $vector) YIELD node
WITH node, vector.similarity.cosine(node.embedding, $vector) AS score
ORDER BY score DESC LIMIT 10
RETURN node.id AS id
"""


def project_texts(bundle: Path) -> list[str]:
    with gzip.open(bundle / "projects.csv.gz", "rt", newline="") as handle:
        texts = {node_text(row["name"], row.get("description")) for row in csv.DictReader(handle)}
    ordered = sorted(texts)
    random.Random(SEED).shuffle(ordered)
    return ordered


def clear(driver) -> None:
    driver.execute_query("DROP INDEX vector_bench IF EXISTS")
    with driver.session(database="neo4j") as session:
        session.run("MATCH (n:VectorBench) CALL (n) { DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


def measure(driver, ef: int, corpus: np.ndarray, queries: np.ndarray, exact: np.ndarray) -> dict[str, float]:
    clear(driver)
    driver.execute_query(CREATE_INDEX, ef=ef)
    driver.execute_query("CALL db.awaitIndexes(300)")
    started = time.perf_counter()
    for start in range(0, len(corpus), WRITE_BATCH):
        rows = [{"id": i, "vector": corpus[i].tolist()} for i in range(start, min(start + WRITE_BATCH, len(corpus)))]
        driver.execute_query(WRITE, rows=parameters.rows(rows), database_="neo4j")
    seconds = time.perf_counter() - started
    found = 0
    for query, truth in zip(queries, exact, strict=True):
        records = driver.execute_query(QUERY, vector=query.tolist(), database_="neo4j").records
        found += len({record["id"] for record in records} & set(truth.tolist()))
    return {"seconds": seconds, "per_s": len(corpus) / seconds, "recall": found / (10 * len(queries))}


def reranked_recall(driver, queries: np.ndarray, exact: np.ndarray, candidates: int) -> tuple[float, float]:
    """(recall@10, ms per query) of the top 10 of `candidates` (10: the index's own top 10)."""
    query, extra = (QUERY, {}) if candidates == 10 else (RERANKED, {"candidates": candidates})
    found, started = 0, time.perf_counter()
    for vector, truth in zip(queries, exact, strict=True):
        records = driver.execute_query(query, vector=vector.tolist(), database_="neo4j", **extra).records
        found += len({record["id"] for record in records} & set(truth.tolist()))
    return found / (10 * len(queries)), (time.perf_counter() - started) / len(queries) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bundle", nargs="?", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument("--ef", default="100,48,24", help="ef_construction values, the first the baseline")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--candidates", default="10,30,50,100", help="candidates re-ranked by exact cosine")
    args = parser.parse_args()
    settings = [int(value) for value in args.ef.split(",")]
    texts = project_texts(args.bundle)
    vectors = np.asarray(embed_texts(texts, MiniLMEmbedder()), dtype=np.float32)
    queries, corpus = vectors[: args.queries], vectors[args.queries :]
    exact = np.argsort(-(queries @ corpus.T), axis=1, kind="stable")[:, :10]
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    conn = managed_neo4j.start(DATA_DIR, bolt_port=free_loopback_port(), http_port=free_loopback_port())
    try:
        with open_driver(Neo4jTarget(conn.uri, conn.user, conn.password, "neo4j")) as driver:
            print(f"{len(corpus):,} vectors written per setting, {len(queries)} held-out queries\n")
            print("| ef_construction | write s | vectors/s | speed vs first | recall@10 against exact |")
            print("| --- | --- | --- | --- | --- |")
            base = None
            for ef in settings:
                figures = measure(driver, ef, corpus, queries, exact)
                base = base or figures
                print(
                    f"| {ef} | {figures['seconds']:.1f} | {figures['per_s']:,.0f} | "
                    f"{figures['per_s'] / base['per_s']:.2f}x | {figures['recall']:.3f} |",
                    flush=True,
                )
            print("\nthe first setting's index; the top 10 of N candidates ordered by exact cosine\n")
            print("| candidates | recall@10 against exact | ms per query |")
            print("| --- | --- | --- |")
            measure(driver, settings[0], corpus, queries, exact)
            for candidates in (int(value) for value in args.candidates.split(",")):
                reranked_recall(driver, queries, exact, candidates)  # warm the plan
                recall, ms = reranked_recall(driver, queries, exact, candidates)
                label = "10 (the index's own top 10)" if candidates == 10 else str(candidates)
                print(f"| {label} | {recall:.3f} | {ms:.1f} |", flush=True)
            clear(driver)
    finally:
        managed_neo4j.stop(DATA_DIR)
        shutil.rmtree(DATA_DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
