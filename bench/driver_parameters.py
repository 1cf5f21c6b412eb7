"""What sending a batch of rows costs the client, as a plain list and as `parameters.Rows`, in one run.

    python bench/driver_parameters.py [BUNDLE_DIR] [--rounds N] [--data-dir DIR]

The driver formats `repr()` of every query parameter for a debug line whether or not debug lines
are wanted (maestro_graph/db/parameters.py). Per kind of batch the API's batch jobs send, the same
batch goes to Neo4j in `UNWIND $rows AS row RETURN count(row)` (Neo4j decodes every row, writes
nothing) as a plain list and as `Rows`, alternating, --rounds times; this process's CPU seconds and
the wall time per batch are printed beside their ratio:

- vectors: 2,048 rows of 384 floats, as `train` stores sentence vectors (`write_embeddings`);
- import rows: the importer's batches of 5,000 rows of the bundle's projects and of its uses,
  parsed by the importer's own first pass;
- answers: 2,000 projects' groups of 20 ranked artifacts with their `because`, as `train`
  publishes them (`model_publishing.write_answers`).

On a managed Neo4j of its own (its data dir wiped first), so a real graph is never touched.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import statistics
import time
from pathlib import Path

import numpy as np

from maestro_graph.db import managed_neo4j, parameters
from maestro_graph.db.connection import Neo4jTarget, open_driver
from maestro_graph.ingest.bundle_import import checked_bundle
from maestro_graph.net import free_loopback_port

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BUNDLE = ROOT.parent / "shared" / "datasets" / "debian-bullseye"
DATA_DIR = Path("/tmp/maestro-parameters-bench")
COUNT = "UNWIND $rows AS row RETURN count(row) AS n"
IMPORT_BATCH = 5000  # bundle_import.import_bundle's default


def vector_rows(rng: np.random.Generator) -> list[dict]:
    vectors = rng.standard_normal((2048, 384)).astype(np.float32)
    return [{"id": f"p{i}", "key": f"{i:040x}", "vector": vector.tolist()} for i, vector in enumerate(vectors)]


def import_rows(bundle: Path, stem: str) -> list[dict]:
    with checked_bundle(bundle) as (check, sources):
        return list(itertools.islice(check.accepted(sources[stem]), IMPORT_BATCH))


def answer_groups(rng: np.random.Generator) -> list[dict]:
    return [
        {
            "project": f"p{p}",
            "rows": [
                {"item": f"a{i}", "rank": rank, "score": float(rng.random()), "because": [f"a{i + 1}", f"a{i + 2}"]}
                for rank, i in enumerate(rng.integers(0, 6000, 20), start=1)
            ],
        }
        for p in range(2000)
    ]


def timed(driver, batch: list[dict]) -> tuple[float, float]:
    """(CPU seconds of this process, wall seconds) to send `batch` and read the count back."""
    cpu, wall = time.process_time(), time.perf_counter()
    counted = driver.execute_query(COUNT, rows=batch, database_="neo4j").records[0]["n"]
    assert counted == len(batch)
    return time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bundle", nargs="?", type=Path, default=DEFAULT_BUNDLE)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="wiped first")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    batches = {
        "vectors (2,048 x 384 floats)": vector_rows(rng),
        "import rows: projects (5,000)": import_rows(args.bundle, "projects"),
        "import rows: uses (5,000)": import_rows(args.bundle, "uses"),
        "answers (2,000 projects x 20)": answer_groups(rng),
    }
    shutil.rmtree(args.data_dir, ignore_errors=True)
    conn = managed_neo4j.start(args.data_dir, bolt_port=free_loopback_port(), http_port=free_loopback_port())
    target = Neo4jTarget(conn.uri, conn.user, conn.password, "neo4j")
    try:
        with open_driver(target) as driver:
            print(f"{args.rounds} rounds, the two ways alternating; medians per batch\n")
            print("| batch | plain list: client CPU / wall ms | Rows: client CPU / wall ms | CPU plain / Rows |")
            print("| --- | --- | --- | --- |")
            for name, batch in batches.items():
                ways = {"plain": list(batch), "rows": parameters.rows(batch)}
                timed(driver, ways["plain"])  # warm the query plan and the connection
                figures: dict[str, list[tuple[float, float]]] = {way: [] for way in ways}
                for _ in range(args.rounds):
                    for way, rows in ways.items():
                        figures[way].append(timed(driver, rows))
                cpu = {way: statistics.median(c for c, _ in runs) * 1000 for way, runs in figures.items()}
                wall = {way: statistics.median(w for _, w in runs) * 1000 for way, runs in figures.items()}
                print(
                    f"| {name} | {cpu['plain']:.0f} / {wall['plain']:.0f} | {cpu['rows']:.0f} / {wall['rows']:.0f} "
                    f"| {cpu['plain'] / cpu['rows']:.1f}x |",
                    flush=True,
                )
    finally:
        managed_neo4j.stop(args.data_dir)
        shutil.rmtree(args.data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
