"""What Neo4j's keep-alive receive-timeout hint costs the Python driver, in the same run.

    python bench/bolt_keep_alive.py [--rounds N] [--queries N]

With `server.bolt.connection_keep_alive_for_requests=ALL` (Neo4j's default) the server's
HELLO answer hints `connection.recv_timeout_seconds`, and the driver then awaits every socket
read through a timeout (a task and a timer each); the managed Neo4j sets it to OFF
(db/managed_neo4j.py), so no hint is sent. This starts a scratch managed Neo4j (the jars of
the test server's install, made by `bin/dev test`) once per variant and round, alternating,
and runs through the async driver on uvloop, as `serve` does:

- a read: an auto-commit query answering 10 rows (the shape of a search page), as the API's
  reads run;
- a write: a managed write transaction creating one node and returning it (BEGIN, RUN and
  PULL, COMMIT), as the API's single-item writes run;

each at 1 and at 8 in flight. Printed per variant: this process's CPU per query (the driver's
own cost: nothing else runs in it) and queries per second, the median over rounds, and the
ratio of the two variants.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import neo4j
import uvloop

from maestro_graph.db import managed_neo4j
from maestro_graph.net import free_loopback_port

INSTALLED_LIB = Path.home() / ".cache" / "maestro-graph" / "test-data" / "neo4j" / "lib"
VARIANTS = {
    "hint sent (Neo4j's default)": {"server.bolt.connection_keep_alive_for_requests": "ALL"},
    "no hint (managed Neo4j)": {},
}
READ = "UNWIND range(1, 10) AS i RETURN i AS id, 'artifact-' + toString(i) AS name, 1.0 / i AS score"
WRITE = "CREATE (n:KeepAliveBench {i: $i}) RETURN n.i AS i"


async def measure(uri: str, auth: tuple[str, str], queries: int) -> dict[str, tuple[float, float]]:
    """CPU ms per query and queries/s for each workload and concurrency."""
    driver = neo4j.AsyncGraphDatabase.driver(uri, auth=auth)
    counter = iter(range(10**9))

    async def read() -> None:
        async with driver.session(database="neo4j", default_access_mode=neo4j.READ_ACCESS) as session:
            result = await session.run(READ)
            rows = [record.values() async for record in result]
            assert len(rows) == 10

    async def write_work(tx: neo4j.AsyncManagedTransaction, i: int) -> None:
        result = await tx.run(WRITE, i=i)
        assert (await result.single(strict=True))["i"] == i

    async def write() -> None:
        async with driver.session(database="neo4j") as session:
            await session.execute_write(write_work, next(counter))

    workloads: dict[str, Callable[[], Awaitable[None]]] = {"read": read, "write": write}
    figures: dict[str, tuple[float, float]] = {}
    try:
        for name, call in workloads.items():
            for _ in range(100):  # warm the pool and Neo4j's query cache
                await call()
            for in_flight in (1, 8):
                cpu, wall = time.process_time(), time.perf_counter()

                async def worker(n: int, call: Callable[[], Awaitable[None]] = call) -> None:
                    for _ in range(n):
                        await call()

                await asyncio.gather(*(worker(queries // in_flight) for _ in range(in_flight)))
                done = queries // in_flight * in_flight
                figures[f"{name} at {in_flight}"] = (
                    (time.process_time() - cpu) / done * 1000,
                    done / (time.perf_counter() - wall),
                )
        async with driver.session(database="neo4j") as session:
            await (await session.run("MATCH (n:KeepAliveBench) DETACH DELETE n")).consume()
    finally:
        await driver.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--queries", type=int, default=2000, help="per workload and concurrency")
    args = parser.parse_args()
    if not (INSTALLED_LIB / ".stamp").is_file():
        raise SystemExit(f"no Neo4j install at {INSTALLED_LIB}: run `bin/dev test` (or `bin/dev setup`) first")

    runs: dict[str, list[dict[str, tuple[float, float]]]] = {name: [] for name in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="bolt-keep-alive-") as scratch:
        data_dir = Path(scratch) / "data"
        # The install's jars and class archive, linked: no download, no recording start.
        shutil.copytree(INSTALLED_LIB, data_dir / "neo4j" / "lib", copy_function=os.link)
        os.chmod(data_dir, 0o700)
        os.chmod(data_dir / "neo4j", 0o700)
        for round_ in range(args.rounds):
            for name, settings in VARIANTS.items():
                conn = managed_neo4j.start(
                    data_dir, bolt_port=free_loopback_port(), http_port=free_loopback_port(), settings=settings
                )
                try:
                    figures = uvloop.run(measure(conn.uri, (conn.user, conn.password), args.queries))
                finally:
                    managed_neo4j.stop(data_dir)
                runs[name].append(figures)
                shown = ", ".join(f"{key} {cpu:.2f} ms {qps:.0f}/s" for key, (cpu, qps) in figures.items())
                print(f"round {round_ + 1}, {name}: {shown}")
        shutil.rmtree(data_dir, ignore_errors=True)

    base_name, managed_name = VARIANTS
    print(f"\nmedian of {args.rounds} rounds, {args.queries} queries per workload; CPU is the driver's (this process)")
    print(
        "| workload | CPU ms/query: hint / no hint | queries/s: hint / no hint | CPU no hint / hint "
        "| queries/s no hint / hint |"
    )
    print("|---|---|---|---|---|")
    for key in runs[base_name][0]:
        cpu = {name: statistics.median(run[key][0] for run in runs[name]) for name in VARIANTS}
        qps = {name: statistics.median(run[key][1] for run in runs[name]) for name in VARIANTS}
        print(
            f"| {key} in flight | {cpu[base_name]:.2f} / {cpu[managed_name]:.2f} | {qps[base_name]:.0f} / "
            f"{qps[managed_name]:.0f} | {cpu[managed_name] / cpu[base_name]:.2f}x "
            f"| {qps[managed_name] / qps[base_name]:.2f}x |"
        )


if __name__ == "__main__":
    main()
