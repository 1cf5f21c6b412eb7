"""How often the live events' loops ask Neo4j: rounds back off while idle, and a write of this
process wakes the pump, so its events do not wait out the back-off (rounds still stay the busy
period apart)."""

from __future__ import annotations

import asyncio

import pytest

from maestro_graph.db.connection import open_async_driver
from maestro_graph.db.graph import GraphDB
from maestro_graph.live.hub import EventHub
from maestro_graph.live.polling import Pacer
from maestro_graph.repositories import audit

WAIT = 30  # seconds a test waits before it fails (never reached when things work)


def test_idle_rounds_double_the_wait_up_to_the_idle_period_and_work_resets_it():
    pacer = Pacer(0.25, 2.0)
    waits = []
    for _ in range(6):
        pacer.round_done(found_work=False)
        waits.append(pacer.wait_s)
    assert waits == [0.5, 1.0, 2.0, 2.0, 2.0, 2.0]
    pacer.round_done(found_work=True)
    assert pacer.wait_s == 0.25


def test_an_idle_period_below_the_busy_one_keeps_the_busy_one():
    pacer = Pacer(1.0, 0.1)
    pacer.round_done(found_work=False)
    assert pacer.idle_s == pacer.wait_s == 1.0
    assert Pacer(0.5).idle_s == 0.5  # no idle period: a fixed cadence


async def test_a_nudge_ends_a_long_idle_wait():
    pacer = Pacer(0.01, 600.0)
    for _ in range(20):
        pacer.round_done(found_work=False)
    assert pacer.wait_s == 600.0
    pacer.round_started()
    asyncio.get_running_loop().call_later(0.05, pacer.nudge)
    await asyncio.wait_for(pacer.pause(), WAIT)  # without the nudge: 600 s


async def test_a_nudge_never_brings_rounds_closer_than_the_busy_period():
    loop = asyncio.get_running_loop()
    pacer = Pacer(0.3, 600.0)
    pacer.round_started()
    began = loop.time()
    pacer.nudge()
    await pacer.pause()
    assert loop.time() - began >= 0.3 - 0.01  # the loop clock's resolution


async def test_a_nudge_during_a_round_asks_for_the_next_one():
    pacer = Pacer(0.01, 600.0)
    for _ in range(20):
        pacer.round_done(found_work=False)
    pacer.round_started()
    pacer.nudge()  # a commit while the round reads: the round may have missed it
    await asyncio.wait_for(pacer.pause(), WAIT)
    pacer.round_started()  # and a nudge before a round began is spent by it
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(pacer.pause(), 0.2)


async def _write_event(db: GraphDB, target: str) -> None:
    async def unit(tx):
        await audit.record(
            tx,
            action="upsertProject",
            actor="pacing-test",
            client_id=None,
            person_id=None,
            targets=[target],
            changed=["name"],
            project_ids=[target],
            artifact_ids=[],
        )

    await db.write(unit)


async def test_a_write_of_this_process_reaches_a_subscriber_while_the_pump_idles(graph, neo4j_target):
    db = GraphDB(open_async_driver(neo4j_target, max_pool_size=4), neo4j_target.database)
    numbered: list[int] = []
    hub = EventHub(db, 0.02, per_client=1, idle_poll_seconds=600.0, on_numbered=lambda: numbered.append(1))
    rounds = 0
    counted_tick = hub.tick

    async def tick() -> bool:
        nonlocal rounds
        found = await counted_tick()
        rounds += 1
        return found

    hub.tick = tick  # type: ignore[method-assign]
    db.after_write.append(hub.nudge)
    hub.start()
    try:
        while hub.pacer.wait_s < 0.3:  # a few idle rounds: the pump is backing off
            await asyncio.sleep(0.02)
        for _ in range(20):  # as if idle for long: the next wait is the whole idle period
            hub.pacer.round_done(found_work=False)
        seen = rounds
        while rounds == seen:  # the round that now waits 600 s before the next
            await asyncio.sleep(0.02)
        assert hub.pacer.wait_s == 600.0
        async with hub.subscribe("test", lambda event: event["targets"] == ["pacing-1"]) as events:
            await _write_event(db, "pacing-1")
            event = await asyncio.wait_for(anext(aiter(events)), WAIT)
        assert event["action"] == "upsertProject" and event["seq"] >= 1
        assert numbered, "the webhook worker is told when events were numbered"
        assert hub.pacer.wait_s == 0.02  # a round that found work: back to the busy pace
    finally:
        await hub.stop()
        await db.close()
