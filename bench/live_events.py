"""Live events: what the outbox costs writes, and how soon a subscriber hears of a commit.

Two figures, measured in one run against the Neo4j that NEO4J_URI (or the managed one) names:

1. Writes per second of WRITERS concurrent writers, each transaction an upsert of its own
   project plus its audit event (`audit.record`, the outbox row, as every mutation does), in
   two ways back to back: as built (numbered after commit), and with the design not taken,
   a global counter node incremented in the same transaction to number the event at write
   time. The ratio is the price of that lock.
2. Commit-to-subscriber latency: an `EventHub` (the per-replica pump, polling every
   POLL seconds) with one subscriber; for each of SAMPLES writes, the time from its commit
   to its event reaching the subscriber. p50 / p95.
3. The pacing of the background loops at the service's defaults (rounds 0.25 s apart while
   there is work, backing off to 2 s when idle): the Neo4j transactions the pump and the
   webhook worker run per minute of an idle service, beside the fixed 0.25 s cadence; and
   commit-to-subscriber latency for writes that come after a quiet GAP, beside the fixed
   cadence, for a write of this process (which wakes the pump) and one of another replica
   (which does not).

    python bench/live_events.py [--writers 16] [--seconds 5] [--samples 100] [--idle-seconds 20]

Its nodes have ids starting `bench-live-` and are deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time

from cryptography.fernet import Fernet

from maestro_graph.config import Settings
from maestro_graph.db.connection import open_async_driver, resolve_target
from maestro_graph.db.graph import GraphDB, fetch
from maestro_graph.live.hub import EventHub
from maestro_graph.live.webhook_worker import WebhookWorker
from maestro_graph.repositories import audit, nodes
from maestro_graph.secret_box import SecretBox

PREFIX = "bench-live-"
POLL = 0.05
# Quiet seconds before each write of the pacing comparison: drawn (seeded), so the writes do
# not fall at one fixed phase of the pump's rounds.
GAP = (1.0, 2.0)
COUNTER = "MERGE (c:BenchEventCounter {id: 'bench'}) ON CREATE SET c.n = 0 SET c.n = c.n + 1 RETURN c.n AS n"
CLEANUP = """
MATCH (n) WHERE (n:Project AND n.id STARTS WITH $prefix) OR n:BenchEventCounter
   OR (n:AuditEvent AND n.targets[0] STARTS WITH $prefix)
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS
"""


async def write(db: GraphDB, project_id: str, with_counter: bool) -> None:
    async def unit(tx):
        await nodes.upsert(tx, "Project", project_id, {"name": "bench"})
        if with_counter:
            await fetch(tx, COUNTER)
        await audit.record(
            tx,
            action="upsertProject",
            actor="bench",
            client_id=None,
            person_id=None,
            targets=[project_id],
            changed=["name"],
            project_ids=[project_id],
            artifact_ids=[],
        )

    await db.write(unit)


async def throughput(db: GraphDB, writers: int, seconds: float, with_counter: bool) -> float:
    done = 0
    stop = time.monotonic() + seconds

    async def writer(index: int) -> None:
        nonlocal done
        while time.monotonic() < stop:
            await write(db, f"{PREFIX}{'c' if with_counter else 'o'}-{index}", with_counter)
            done += 1

    started = time.monotonic()
    await asyncio.gather(*(writer(i) for i in range(writers)))
    return done / (time.monotonic() - started)


async def latency(
    db: GraphDB,
    samples: int,
    poll: float = POLL,
    idle_poll: float | None = None,
    nudged: bool = False,
    gap: tuple[float, float] = (0.0, 0.0),
    label: str = "lat",
) -> list[float]:
    """Commit-to-subscriber delays of `samples` writes, each after a quiet pause drawn from
    `gap` (seconds); with `nudged`, each commit wakes the pump as the service's own writes do."""
    pauses = random.Random(0)
    hub = EventHub(db, poll, per_client=1, idle_poll_seconds=idle_poll)
    if nudged:
        db.after_write.append(hub.nudge)
    hub.start()
    delays: list[float] = []
    committed: dict[str, float] = {}
    arrived = asyncio.Event()
    try:
        while hub.cursor is None:  # the pump's first round sets its cursor to the newest event
            await asyncio.sleep(0.01)
        async with hub.subscribe("bench", lambda e: bool(e.get("targets")) and e["targets"][0] in committed) as events:

            async def listen() -> None:
                async for event in events:
                    delays.append(time.perf_counter() - committed[event["targets"][0]])
                    arrived.set()

            listener = asyncio.create_task(listen())
            for i in range(samples):
                await asyncio.sleep(pauses.uniform(*gap))
                project_id = f"{PREFIX}{label}-{i}"
                arrived.clear()
                committed[project_id] = float("inf")
                await write(db, project_id, with_counter=False)
                committed[project_id] = time.perf_counter()
                await asyncio.wait_for(arrived.wait(), 30)
            listener.cancel()
    finally:
        await hub.stop()
        if nudged:
            db.after_write.remove(hub.nudge)
    return delays


class CountingDB(GraphDB):
    """A GraphDB that counts the transactions run through it."""

    transactions = 0

    async def read(self, work, *args, **kwargs):
        self.transactions += 1
        return await super().read(work, *args, **kwargs)

    async def write(self, work, *args, **kwargs):
        self.transactions += 1
        return await super().write(work, *args, **kwargs)


async def idle_transactions_per_minute(db: GraphDB, idle_poll: float, seconds: float) -> float:
    """Transactions the pump and the webhook worker run in `seconds` with nothing to do."""
    counting = CountingDB(db.driver, db.database, observed=False)
    settings = Settings(events_poll_seconds=0.25, events_idle_poll_seconds=idle_poll)
    worker = WebhookWorker(counting, settings, SecretBox(Fernet.generate_key()))
    hub = EventHub(counting, 0.25, per_client=1, idle_poll_seconds=idle_poll, on_numbered=worker.nudge)
    hub.start()
    worker.start()
    await asyncio.sleep(seconds)
    await hub.stop()
    await worker.stop()
    return counting.transactions / seconds * 60


def p50_p95(delays: list[float]) -> str:
    delays = sorted(delays)
    return f"p50 {statistics.median(delays) * 1000:.0f} ms, p95 {delays[int(0.95 * (len(delays) - 1))] * 1000:.0f} ms"


async def main(writers: int, seconds: float, samples: int, idle_seconds: float) -> None:
    settings = Settings()
    target = resolve_target(settings)
    db = GraphDB(open_async_driver(target, max_pool_size=writers + 4), target.database)
    try:
        await throughput(db, writers, 1.0, with_counter=False)  # warm-up
        outbox = await throughput(db, writers, seconds, with_counter=False)
        counter = await throughput(db, writers, seconds, with_counter=True)
        outbox_again = await throughput(db, writers, seconds, with_counter=False)
        delays = sorted(await latency(db, samples))
        fixed_idle = await idle_transactions_per_minute(db, 0.25, idle_seconds)
        paced_idle = await idle_transactions_per_minute(db, 2.0, idle_seconds)
        quiet = max(samples // 5, 5)
        after_gap = {
            "fixed 0.25 s cadence (before)": await latency(db, quiet, 0.25, None, False, GAP, "fixed"),
            "backing off to 2 s, a write of this process": await latency(db, quiet, 0.25, 2.0, True, GAP, "own"),
            "backing off to 2 s, another replica's write": await latency(db, quiet, 0.25, 2.0, False, GAP, "other"),
        }
    finally:
        await db.query("RETURN 1")
        async with db.driver.session(database=db.database) as session:
            await (await session.run(CLEANUP, prefix=PREFIX)).consume()
        await db.close()
    built = (outbox + outbox_again) / 2
    print(f"writers: {writers}, {seconds:g} s per way")
    print(f"writes/s, outbox numbered after commit (as built): {outbox:.0f} then {outbox_again:.0f}")
    print(f"writes/s, a global counter in every write:          {counter:.0f}")
    print(f"as built / global counter: {built / counter:.2f}x")
    print(f"commit to subscriber, {len(delays)} writes, pump every {POLL:g} s: {p50_p95(delays)}")
    print(f"idle, pump + webhook worker, Neo4j transactions per minute over {idle_seconds:g} s:")
    print(f"  fixed 0.25 s cadence (before): {fixed_idle:.0f}")
    print(f"  backing off to 2 s (as built): {paced_idle:.0f}  ({fixed_idle / paced_idle:.1f}x fewer)")
    print(f"commit to subscriber, {quiet} writes each after {GAP[0]:g}-{GAP[1]:g} s quiet:")
    for name, gap_delays in after_gap.items():
        print(f"  {name}: {p50_p95(gap_delays)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    args = parser.parse_args()
    asyncio.run(main(args.writers, args.seconds, args.samples, args.idle_seconds))
