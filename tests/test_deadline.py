"""Every request has a deadline: past it, the caller gets 504 DEADLINE_EXCEEDED, an unfinished
write leaves nothing behind, and Neo4j stops the query on its side too."""

from __future__ import annotations

import asyncio
import time

import neo4j
import pytest
from conftest import count, data, make_client

from maestro_graph.db.connection import open_async_driver
from maestro_graph.db.graph import GraphDB, fetch
from maestro_graph.graphql import document_limits
from maestro_graph.middleware import deadline
from maestro_graph.repositories import audit, listing

DEADLINE = 0.5
FAR_PAST = 30  # seconds a stalled step takes: a 504 well before it came at the deadline


@pytest.fixture(scope="module")
def impatient(graph, neo4j_target):
    with make_client(neo4j_target, request_deadline_seconds=DEADLINE) as client:
        yield client


def lift_deadline(client, monkeypatch) -> None:
    """Gives the app's later requests a generous deadline: they show the app still serves
    after a request was cut off, and a busy machine may take longer than DEADLINE for them."""
    layer = client.app.middleware_stack
    while not isinstance(layer, deadline.Deadline):
        layer = layer.app
    monkeypatch.setattr(layer, "seconds", 60)


def test_a_read_past_its_deadline_gets_504_and_the_next_request_is_served(impatient, monkeypatch):
    async def slow_search(*args, **kwargs):
        await asyncio.sleep(FAR_PAST)
        return []

    monkeypatch.setattr(listing, "search", slow_search)
    started = time.monotonic()
    response = impatient.post("/graphql", json={"query": '{ search(text: "x") { score } }'})
    elapsed = time.monotonic() - started
    assert response.status_code == 504
    assert response.json()["errors"][0]["extensions"]["code"] == "DEADLINE_EXCEEDED"
    assert response.headers["X-Request-ID"]
    assert DEADLINE <= elapsed < FAR_PAST / 2
    assert 'outcome="deadline_exceeded"' in impatient.get("/metrics").text
    monkeypatch.undo()
    with pytest.MonkeyPatch.context() as patch:
        lift_deadline(impatient, patch)
        assert data(impatient, '{ search(text: "x") { score } }') == {"search": []}


def test_a_deadline_passed_while_validating_stops_the_request_before_it_runs(impatient, monkeypatch):
    refusals = document_limits.refusals

    def slow_refusals(*args):
        time.sleep(DEADLINE + 0.2)  # without a pause, as parsing and validating are: the deadline cannot cut in
        return refusals(*args)

    monkeypatch.setattr(document_limits, "refusals", slow_refusals)
    # Executing this needs no pause either: only a check before execution can stop it.
    response = impatient.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 504
    assert response.json()["errors"][0]["extensions"]["code"] == "DEADLINE_EXCEEDED"


def test_a_write_cut_off_at_its_deadline_commits_nothing(impatient, graph, monkeypatch):
    record_many = audit.record_many

    async def slow_record(tx, events):
        await record_many(tx, events)
        await asyncio.sleep(FAR_PAST)  # the project and its audit event are written, not yet committed

    monkeypatch.setattr(audit, "record_many", slow_record)
    response = impatient.post(
        "/graphql", json={"query": 'mutation { upsertProject(input: {id: "late", name: "Late"}) { id } }'}
    )
    assert response.status_code == 504
    monkeypatch.undo()
    time.sleep(0.5)  # the rollback has reached Neo4j
    assert count(graph, "MATCH (p:Project {id: 'late'}) RETURN count(p)") == 0
    assert count(graph, "MATCH (e:AuditEvent) WHERE 'late' IN e.targets RETURN count(e)") == 0
    # The same write in time goes through.
    lift_deadline(impatient, monkeypatch)
    assert data(impatient, 'mutation { upsertProject(input: {id: "late", name: "Late"}) { id } }')
    assert count(graph, "MATCH (p:Project {id: 'late'}) RETURN count(p)") == 1


def test_probes_have_no_request_deadline(impatient):
    assert impatient.get("/healthz").status_code == 200


def test_neo4j_stops_a_query_that_outlives_the_request(neo4j_target):
    async def run() -> float:
        db = GraphDB(open_async_driver(neo4j_target, max_pool_size=2), neo4j_target.database)
        token = deadline._deadline.set(time.monotonic() + 0.2)
        started = time.monotonic()
        try:

            async def endless(tx):  # minutes of work for Neo4j
                return await fetch(tx, "UNWIND range(1, 10000000000) AS x RETURN sum(x) AS total")

            with pytest.raises(neo4j.exceptions.ClientError) as raised:
                await db.read(endless)
            assert "TransactionTimedOut" in raised.value.code
            return time.monotonic() - started
        finally:
            deadline._deadline.reset(token)
            await db.close()

    # The deadline (0.2 s) plus the server's grace (1 s), and Neo4j's own check interval.
    assert asyncio.run(run()) < 6
