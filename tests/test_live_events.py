"""Live events against a live uvicorn: a WebSocket client (graphql-transport-ws) and an SSE
client (graphql-sse) receive the events of committed mutations; filters, authentication,
the per-client cap, heartbeats and the idle timeout; and the outbox numbers events in commit
order without a lock on the write path."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator

import httpx
import pytest
from conftest import TEST_DATA_DIR, live_server, register_client, wait_for_subscriptions
from prometheus_client.parser import text_string_to_metric_families
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from maestro_graph.config import Settings
from maestro_graph.repositories import audit, model_publishing

SSE = {"Accept": "text/event-stream"}
WAIT = 20  # seconds a test waits for what it expects before it fails (never reached when things work)
PROTOCOL = "graphql-transport-ws"

GRAPH_CHANGED = """subscription($filter: GraphChangeFilter) {
  graphChanged(filter: $filter) { sequence kind targets projectIds artifactIds changedFields actor }
}"""


class _AnyInt:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, int)


ANY_INT = _AnyInt()


def settings(**overrides) -> Settings:
    values = {
        "profile": "dev",
        "data_dir": TEST_DATA_DIR,
        "events_poll_seconds": 0.05,
        "events_idle_poll_seconds": 0.2,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture(scope="module")
def dev_server(graph, neo4j_target) -> Iterator[str]:
    with live_server(settings(subscriptions_per_client=3), neo4j_target) as url:
        yield url


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://") + "/graphql"


@contextlib.contextmanager
def socket(base: str, init: dict | None = None, headers: dict | None = None) -> Iterator[ClientConnection]:
    with connect(ws_url(base), subprotocols=[PROTOCOL], additional_headers=headers, open_timeout=WAIT) as ws:  # type: ignore[list-item]
        ws.send(json.dumps({"type": "connection_init", "payload": init or {}}))
        yield ws


def receive(ws: ClientConnection, skip_pings: bool = True) -> dict:
    """The next message; WAIT bounds the whole wait, so the server's keep-alive pings cannot
    extend it."""
    deadline = time.monotonic() + WAIT
    while True:
        message = json.loads(ws.recv(timeout=max(deadline - time.monotonic(), 0.001)))
        if not (skip_pings and message["type"] == "ping"):
            return message


@pytest.fixture(autouse=True)
def _each_test_ends_its_subscriptions(request):
    """Every test starts on servers that serve no subscription, so the counts it waits for are
    its own."""
    yield
    for name in ("dev_server", "production_server"):
        if name in request.fixturenames:
            wait_for_subscriptions(request.getfixturevalue(name), 0)


def subscribe(ws: ClientConnection, op_id: str, query: str, variables: dict | None = None) -> None:
    ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": query, "variables": variables or {}}}))


def acked(ws: ClientConnection) -> None:
    assert receive(ws)["type"] == "connection_ack"


def mutate(base: str, query: str, headers: dict | None = None) -> dict:
    response = httpx.post(f"{base}/graphql", json={"query": query}, headers=headers, timeout=WAIT)
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def upsert_project(base: str, project_id: str) -> None:
    mutate(base, f'mutation {{ upsertProject(input: {{id: "{project_id}", name: "N"}}) {{ id }} }}')


def live_subscriptions_metric(base: str) -> float:
    exposition = httpx.get(f"{base}/metrics", timeout=WAIT).text
    family = next(f for f in text_string_to_metric_families(exposition) if f.name == "maestro_live_subscriptions")
    return family.samples[0].value


def test_a_websocket_subscriber_receives_the_events_of_its_filter(dev_server):
    before = live_subscriptions_metric(dev_server)
    with socket(dev_server) as ws:
        acked(ws)
        subscribe(ws, "1", GRAPH_CHANGED, {"filter": {"projectIds": ["ws-p"]}})
        wait_for_subscriptions(dev_server, 1)
        assert live_subscriptions_metric(dev_server) == before + 1
        upsert_project(dev_server, "ws-other")  # not this subscriber's project
        upsert_project(dev_server, "ws-p")
        mutate(dev_server, 'mutation { upsertArtifact(input: {id: "ws-a", name: "A", kind: DATASET}) { id } }')
        mutate(
            dev_server, 'mutation { recordUsage(input: {projectId: "ws-p", artifactId: "ws-a"}) { usage { count } } }'
        )
        first, second = receive(ws), receive(ws)
    wait_for_subscriptions(dev_server, 0)  # the socket closed
    assert live_subscriptions_metric(dev_server) == before
    assert first["type"] == second["type"] == "next"
    event = first["payload"]["data"]["graphChanged"]
    assert event["kind"] == "upsertProject"
    assert event["targets"] == event["projectIds"] == ["ws-p"]
    assert event["changedFields"] == ["name"]
    assert event["actor"] == "anonymous"  # the dev profile's caller is an admin
    usage = second["payload"]["data"]["graphChanged"]
    assert (usage["kind"], usage["projectIds"], usage["artifactIds"]) == ("recordUsage", ["ws-p"], ["ws-a"])
    assert usage["sequence"] > event["sequence"]


def test_an_sse_subscriber_receives_the_event_of_a_mutation(dev_server):
    body = {"query": GRAPH_CHANGED, "variables": {"filter": {"kinds": ["upsertArtifact"], "artifactIds": ["sse-a"]}}}
    with (
        httpx.Client(base_url=dev_server, timeout=WAIT) as client,
        client.stream("POST", "/graphql", json=body, headers={"Accept": "text/event-stream"}) as stream,
    ):
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        wait_for_subscriptions(dev_server, 1)
        mutate(dev_server, 'mutation { upsertArtifact(input: {id: "sse-other", name: "A", kind: MODEL}) { id } }')
        mutate(dev_server, 'mutation { upsertArtifact(input: {id: "sse-a", name: "A", kind: MODEL}) { id } }')
        event = None
        deadline = time.monotonic() + WAIT  # the heartbeat comments would keep the stream going
        for line in stream.iter_lines():
            if line.startswith("data: ") and line != "data: ":
                event = json.loads(line[len("data: ") :])["data"]["graphChanged"]
                break
            assert time.monotonic() < deadline, "no event"
    assert event is not None
    assert (event["kind"], event["artifactIds"]) == ("upsertArtifact", ["sse-a"])


def test_queries_are_not_served_over_the_streams(dev_server):
    with socket(dev_server) as ws:
        acked(ws)
        subscribe(ws, "q", "{ projects { totalCount } }")
        answer = receive(ws)
    assert answer["type"] == "error"
    assert answer["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    sse = httpx.post(
        f"{dev_server}/graphql",
        json={"query": "{ projects { totalCount } }"},
        headers={"Accept": "text/event-stream"},
        timeout=WAIT,
    )
    assert sse.status_code >= 400 or "errors" in sse.text


def test_a_bad_filter_is_refused_with_a_code(dev_server):
    with socket(dev_server) as ws:
        acked(ws)
        subscribe(ws, "1", GRAPH_CHANGED, {"filter": {"projectIds": ["x"] * 101}})
        answer = receive(ws)
    errors = answer["payload"] if answer["type"] == "error" else answer["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_a_client_holds_at_most_its_cap_of_subscriptions(dev_server):
    with socket(dev_server) as first, socket(dev_server) as second:
        acked(first)
        acked(second)
        for op_id in ("1", "2", "3"):
            subscribe(first, op_id, GRAPH_CHANGED)
        wait_for_subscriptions(dev_server, 3)
        subscribe(second, "4", GRAPH_CHANGED)  # the same client (this address), another connection
        refused = receive(second)
        if refused["type"] == "next":  # errors of a started operation, then its end
            assert receive(second)["type"] == "complete"
        # Ending one makes room again.
        first.send(json.dumps({"id": "1", "type": "complete"}))
        wait_for_subscriptions(dev_server, 2)
        subscribe(second, "5", GRAPH_CHANGED)
        wait_for_subscriptions(dev_server, 3)
        upsert_project(dev_server, "cap-p")
        served = receive(second)
    errors = refused["payload"] if refused["type"] == "error" else refused["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "RATE_LIMITED"
    assert (served["id"], served["type"]) == ("5", "next")


def test_quiet_streams_are_kept_alive_and_idle_sockets_closed(graph, neo4j_target):
    quiet = settings(subscription_heartbeat_seconds=0.1, subscription_idle_seconds=0.6)
    with live_server(quiet, neo4j_target) as base:
        with socket(base) as ws:
            acked(ws)
            assert receive(ws, skip_pings=False)["type"] == "ping"
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    receive(ws)
        with (
            httpx.Client(base_url=base, timeout=WAIT) as client,
            client.stream("POST", "/graphql", json={"query": GRAPH_CHANGED}, headers=SSE) as stream,
        ):
            first_line = next(line for line in stream.iter_lines() if line)
    assert first_line == ": ping"  # an SSE comment, ignored by clients, keeps proxies from cutting the stream
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4408


@pytest.fixture(scope="module")
def production_server(graph, neo4j_target) -> Iterator[str]:
    production = settings(profile="production", oauth_issuer="http://127.0.0.1")
    with live_server(production, neo4j_target) as url:
        yield url


def token(base: str, scope: str) -> str:
    credentials = register_client_for(scope)
    response = httpx.post(
        f"{base}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(credentials["client_id"], credentials["client_secret"]),
        timeout=WAIT,
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


_neo4j_target = None


def register_client_for(scope: str) -> dict:
    assert _neo4j_target is not None
    return register_client(_neo4j_target, name=f"live-{scope}", scope=scope)


@pytest.fixture(scope="module", autouse=True)
def _remember_target(neo4j_target):
    global _neo4j_target
    _neo4j_target = neo4j_target


def test_without_a_token_nothing_is_streamed(production_server):
    with socket(production_server) as ws, pytest.raises(ConnectionClosed) as closed:
        receive(ws)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    with socket(production_server, {"Authorization": "Bearer not-a-token"}) as ws, pytest.raises(ConnectionClosed):
        receive(ws)
    sse = httpx.post(
        f"{production_server}/graphql",
        json={"query": GRAPH_CHANGED},
        headers={"Accept": "text/event-stream"},
        timeout=WAIT,
    )
    assert sse.status_code == 401


def test_a_reader_with_a_token_sees_events_without_who_made_them(production_server):
    reader, writer = token(production_server, "read"), token(production_server, "admin")
    with socket(production_server, {"Authorization": f"Bearer {reader}"}) as ws:
        acked(ws)
        subscribe(ws, "1", GRAPH_CHANGED, {"filter": {"projectIds": ["tok-p"]}})
        wait_for_subscriptions(production_server, 1)
        mutate(
            production_server,
            'mutation { upsertProject(input: {id: "tok-p", name: "N"}) { id } }',
            headers={"Authorization": f"Bearer {writer}"},
        )
        event = receive(ws)["payload"]["data"]["graphChanged"]
    assert event["projectIds"] == ["tok-p"]
    assert event["actor"] is None  # who wrote it is for admins


def test_events_are_numbered_in_commit_order_not_start_order(graph, dev_server):
    """A write that started first but commits last is numbered last: a cursor never skips it."""
    with graph.session() as slow_session:
        slow = slow_session.begin_transaction()
        audit.record_batch_event(slow, action="slowWrite", actor="test", targets=["slow"], task="outcome")
        with socket(dev_server) as ws:
            acked(ws)
            subscribe(ws, "1", GRAPH_CHANGED, {"filter": {"kinds": ["slowWrite", "upsertProject"]}})
            wait_for_subscriptions(dev_server, 1)
            upsert_project(dev_server, "quick")
            quick = receive(ws)["payload"]["data"]["graphChanged"]
            slow.commit()
            late = receive(ws)["payload"]["data"]["graphChanged"]
    assert (quick["kind"], late["kind"]) == ("upsertProject", "slowWrite")
    assert late["sequence"] == quick["sequence"] + 1
    records, _, _ = graph.execute_query(
        "MATCH (e:AuditEvent) WHERE e.action IN ['slowWrite', 'upsertProject'] AND e.targets[0] IN ['slow', 'quick'] "
        "RETURN e.action AS action, e.at AS at ORDER BY e.seq"
    )
    assert [r["action"] for r in records] == ["upsertProject", "slowWrite"]
    assert records[1]["at"] < records[0]["at"]  # started first


def test_every_committed_event_gets_one_number_without_gaps(graph, dev_server):
    for i in range(5):
        upsert_project(dev_server, f"gapless-{i}")
    records, _, _ = graph.execute_query("MATCH (e:AuditEvent) WHERE e.seq IS NOT NULL RETURN e.seq AS seq ORDER BY seq")
    numbers = [r["seq"] for r in records]
    assert numbers == list(range(1, len(numbers) + 1))


def test_a_model_made_active_is_announced_with_the_predictions_it_changes(graph, dev_server):
    version = "live-outcome-1"
    model_publishing.create_model(
        graph, "neo4j", task="outcome", version=version, trained_at="2026-01-01T00:00:00Z", metrics="{}", params="{}"
    )
    with socket(dev_server) as ws:
        acked(ws)
        subscribe(ws, "team", "subscription { modelPublished(task: TEAM) { version } }")
        subscribe(ws, "outcome", "subscription { modelPublished(task: OUTCOME) { task version sequence } }")
        subscribe(ws, "p", 'subscription { predictionChanged(projectId: "ws-p") { projectId task modelVersion } }')
        wait_for_subscriptions(dev_server, 3)
        model_publishing.activate(graph, "neo4j", "outcome", version)
        answers = {message["id"]: message["payload"]["data"] for message in (receive(ws), receive(ws))}
    assert answers == {
        "outcome": {"modelPublished": {"task": "OUTCOME", "version": version, "sequence": ANY_INT}},
        "p": {"predictionChanged": {"projectId": "ws-p", "task": "OUTCOME", "modelVersion": version}},
    }
