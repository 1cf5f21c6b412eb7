"""Outgoing webhooks against a live uvicorn and a local receiver: signed deliveries of the
events a webhook asks for, recorded; retries, then the webhook disabled, and enabled by hand;
private targets refused unless allowed; who may manage them; and each event received once
across a server killed mid-delivery (the one in flight at the kill again, with the same id)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from conftest import TEST_DATA_DIR, access_token, bearer, data, error_of, live_server, make_client, register_client

from maestro_graph.config import Settings
from maestro_graph.live import webhook_signing
from maestro_graph.net import free_loopback_port

WAIT = 60  # seconds a test waits for deliveries before it fails (never reached when things work)
ROOT = Path(__file__).resolve().parents[1]

CREATE = """mutation($url: String!, $events: [String!], $filter: GraphChangeFilter) {
  createWebhook(url: $url, events: $events, filter: $filter) { secret webhook { id enabled events projectIds } }
}"""
DELIVERIES = """query($id: ID!) { webhookDeliveries(webhookId: $id, first: 50) {
  totalCount edges { node { id sequence kind status attempts responseCode latencyMs error } } } }"""


class Receiver:
    """A local HTTP receiver that records every POST; `status` is what it answers, and the
    request numbered `hold` (1-based) is held open until `release` is set."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        self.hold: int | None = None
        self.holding = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.received.append((dict(self.headers.items()), body))
                    number = len(receiver.received)
                if number == receiver.hold:
                    receiver.holding.set()
                    receiver.release.wait(WAIT)
                with contextlib.suppress(OSError):
                    self.send_response(receiver.status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def deliveries(self) -> list[dict]:
        with self.lock:
            return [json.loads(body) for _, body in self.received]

    def wait_for(self, count: int) -> list[dict]:
        deadline = time.monotonic() + WAIT
        while len(self.received) < count:
            assert time.monotonic() < deadline, (
                f"{len(self.received)} of {count} deliveries arrived: {self.deliveries()}"
            )
            time.sleep(0.02)
        return self.deliveries()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()


@pytest.fixture
def receiver(graph) -> Iterator[Receiver]:
    receiving = Receiver()
    yield receiving
    receiving.close()
    # The next test's servers have no business with this test's webhooks.
    graph.execute_query("MATCH (n) WHERE n:OutgoingWebhook OR n:OutgoingDelivery DETACH DELETE n")


def settings(**overrides) -> Settings:
    values = {
        "profile": "dev",
        "data_dir": TEST_DATA_DIR,
        "events_poll_seconds": 0.05,
        "events_idle_poll_seconds": 0.2,
        "webhooks_allow_private_targets": True,
        **overrides,
    }
    return Settings(**values)


def gql(base: str, query: str, variables: dict | None = None) -> dict:
    body = httpx.post(f"{base}/graphql", json={"query": query, "variables": variables or {}}, timeout=WAIT).json()
    assert "errors" not in body, body["errors"]
    return body["data"]


def upsert_project(base: str, project_id: str) -> None:
    gql(base, f'mutation {{ upsertProject(input: {{id: "{project_id}", name: "N"}}) {{ id }} }}')


def verified(delivery: tuple[dict[str, str], bytes], secret: str) -> bool:
    headers, body = delivery
    return webhook_signing.verify(
        secret,
        headers[webhook_signing.TIMESTAMP_HEADER],
        headers[webhook_signing.SIGNATURE_HEADER],
        body,
        now=time.time(),
    )


def test_a_webhook_receives_its_events_signed_and_recorded(graph, neo4j_target, receiver):
    with live_server(settings(), neo4j_target) as base:
        created = gql(
            base, CREATE, {"url": receiver.url, "events": ["upsertProject"], "filter": {"projectIds": ["wh-1", "wh-2"]}}
        )
        secret, webhook = created["createWebhook"]["secret"], created["createWebhook"]["webhook"]
        assert (webhook["enabled"], webhook["events"], webhook["projectIds"]) == (
            True,
            ["upsertProject"],
            ["wh-1", "wh-2"],
        )
        upsert_project(base, "wh-other")  # not wanted
        upsert_project(base, "wh-1")
        gql(base, 'mutation { upsertArtifact(input: {id: "wh-a", name: "A", kind: MODEL}) { id } }')  # not wanted
        upsert_project(base, "wh-2")
        bodies = receiver.wait_for(2)
        records = gql(base, DELIVERIES, {"id": webhook["id"]})["webhookDeliveries"]
    assert [b["event"]["projectIds"] for b in bodies] == [["wh-1"], ["wh-2"]]
    assert all(b["event"]["kind"] == "upsertProject" for b in bodies)
    assert all(verified(delivery, secret) for delivery in receiver.received)
    tampered = (receiver.received[0][0], receiver.received[0][1].replace(b"wh-1", b"wh-9"))
    assert not verified(tampered, secret)
    assert not verified(receiver.received[0], "another secret")
    headers = receiver.received[0][0]
    assert headers[webhook_signing.DELIVERY_HEADER] == bodies[0]["id"]
    assert not webhook_signing.verify(
        secret,
        headers[webhook_signing.TIMESTAMP_HEADER],
        headers[webhook_signing.SIGNATURE_HEADER],
        receiver.received[0][1],
        now=time.time() + 3600,  # a replay an hour later
    )
    nodes = [edge["node"] for edge in records["edges"]]
    assert records["totalCount"] == 2
    assert {(n["status"], n["attempts"], n["responseCode"]) for n in nodes} == {("delivered", 1, 200)}
    assert all(n["latencyMs"] is not None and n["latencyMs"] >= 0 for n in nodes)
    assert {n["id"] for n in nodes} == {b["id"] for b in bodies}


def test_failing_deliveries_are_retried_then_the_webhook_disabled_until_enabled(graph, neo4j_target, receiver):
    failing = settings(webhook_max_attempts=2, webhook_backoff_seconds=0.05, webhook_disable_after_failures=2)
    receiver.status = 500
    with live_server(failing, neo4j_target) as base:
        created = gql(base, CREATE, {"url": receiver.url, "filter": {"projectIds": ["fail-1", "fail-2", "fail-3"]}})
        webhook_id = created["createWebhook"]["webhook"]["id"]
        upsert_project(base, "fail-1")
        upsert_project(base, "fail-2")
        receiver.wait_for(4)  # two attempts at each of two events
        listed = {}
        deadline = time.monotonic() + WAIT
        while not listed or listed["enabled"]:
            assert time.monotonic() < deadline
            listed = gql(base, "{ webhooks { edges { node { id enabled disabledReason consecutiveFailures } } } }")
            listed = next(e["node"] for e in listed["webhooks"]["edges"] if e["node"]["id"] == webhook_id)
        failed = gql(base, DELIVERIES, {"id": webhook_id})["webhookDeliveries"]["edges"]
        upsert_project(base, "fail-3")  # while disabled: kept for later, not sent
        time.sleep(0.5)  # several rounds of the worker, to show nothing is sent (not a timing assertion)
        sent_while_disabled = len(receiver.received) - 4
        receiver.status = 200
        enabled = gql(base, f'mutation {{ enableWebhook(id: "{webhook_id}") {{ enabled consecutiveFailures }} }}')
        bodies = receiver.wait_for(5)
        deleted = gql(base, f'mutation {{ deleteWebhook(id: "{webhook_id}") {{ id }} }}')
        left = gql(base, "{ webhooks { totalCount } }")["webhooks"]["totalCount"]
    audited, _, _ = graph.execute_query(
        "MATCH (e:AuditEvent) WHERE $id IN e.targets RETURN e.action AS action ORDER BY e.at", id=webhook_id
    )
    assert [r["action"] for r in audited] == ["createWebhook", "enableWebhook", "deleteWebhook"]
    assert deleted["deleteWebhook"]["id"] == webhook_id and left == 0
    assert listed["consecutiveFailures"] == 2 and "disabled" in listed["disabledReason"]
    assert {(e["node"]["status"], e["node"]["attempts"], e["node"]["responseCode"]) for e in failed} == {
        ("failed", 2, 500)
    }
    assert [b["event"]["projectIds"] for b in bodies] == [["fail-1"], ["fail-1"], ["fail-2"], ["fail-2"], ["fail-3"]]
    assert bodies[0]["id"] == bodies[1]["id"]  # a retry is the same delivery
    assert sent_while_disabled == 0
    assert enabled["enableWebhook"] == {"enabled": True, "consecutiveFailures": 0}


# The API clients below are made per test and closed with it: an app left running would deliver
# the next tests' webhooks too, under its own settings (private targets refused).


def test_private_targets_and_bad_urls_are_refused(graph, neo4j_target):
    with make_client(neo4j_target) as client:
        for url in (
            "http://127.0.0.1:9/hook",
            "http://169.254.169.254/latest",
            "ftp://example.com/x",
            "http://u:p@example.com/",
        ):
            error = error_of(client, CREATE, {"url": url})
            assert error["extensions"]["code"] == "BAD_USER_INPUT", (url, error)
        assert (
            client.post("/graphql", json={"query": "{ webhooks { totalCount } }"}).json()["data"]["webhooks"][
                "totalCount"
            ]
            == 0
        )


def test_only_admins_and_project_owners_manage_webhooks(graph, neo4j_target):
    with make_client(
        neo4j_target,
        profile="production",
        peer="203.0.113.7",
        cost_budget_per_minute=10_000_000,
        oauth_requests_per_minute=10_000,
    ) as production:
        # A public address written as a literal: no name to resolve. The webhooks are filtered to a
        # project nothing writes to, so nothing is ever sent there.
        url = "https://93.184.215.14/hook"
        graph.execute_query(
            "MERGE (o:Person {id: 'wh-owner'}) MERGE (p:Project {id: 'wh-own'}) MERGE (q:Project {id: 'wh-theirs'}) "
            "MERGE (o)-[:MEMBER_OF {roles: ['owner']}]->(p) MERGE (o)-[:MEMBER_OF {roles: ['contributor']}]->(q)"
        )
        reader = access_token(production, register_client(neo4j_target, "wh-reader", "read"))
        writer = access_token(production, register_client(neo4j_target, "wh-writer", "write"))
        owner = access_token(production, register_client(neo4j_target, "wh-owner", "write", person="wh-owner"))
        admin = access_token(production, register_client(neo4j_target, "wh-admin", "admin"))
        for token in (reader, writer):
            refused = error_of(production, CREATE, {"url": url}, **bearer(token))
            assert refused["extensions"]["code"] == "FORBIDDEN"
        not_owned = error_of(production, CREATE, {"url": url, "filter": {"projectIds": ["wh-theirs"]}}, **bearer(owner))
        assert not_owned["extensions"]["code"] == "FORBIDDEN"
        mine = data(production, CREATE, {"url": url, "filter": {"projectIds": ["wh-own"]}}, **bearer(owner))
        theirs = data(production, CREATE, {"url": url, "filter": {"projectIds": ["wh-own"]}}, **bearer(admin))
        mine_id, theirs_id = mine["createWebhook"]["webhook"]["id"], theirs["createWebhook"]["webhook"]["id"]
        stored = str(graph.execute_query("MATCH (w:OutgoingWebhook) RETURN properties(w) AS p").records)
        assert mine["createWebhook"]["secret"] not in stored and "secret_sealed" in stored  # sealed at rest
        listed = data(production, "{ webhooks { edges { node { id createdBy } } } }", **bearer(owner))
        assert [e["node"]["id"] for e in listed["webhooks"]["edges"]] == [mine_id]
        assert data(production, "{ webhooks { totalCount } }", **bearer(admin))["webhooks"]["totalCount"] == 2
        delete = "mutation($id: ID!) { deleteWebhook(id: $id) { id } }"
        assert error_of(production, delete, {"id": theirs_id}, **bearer(owner))["extensions"]["code"] == "FORBIDDEN"
        assert data(production, delete, {"id": mine_id}, **bearer(owner))["deleteWebhook"]["id"] == mine_id
        assert data(production, delete, {"id": theirs_id}, **bearer(admin))["deleteWebhook"]["id"] == theirs_id


@contextlib.contextmanager
def server_process(target, env: dict[str, str]) -> Iterator[tuple[subprocess.Popen, str]]:
    """The app under uvicorn in a process of its own (so it can be killed), against `target`."""
    port = free_loopback_port()
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("NEO4J_", "MAESTRO_"))}
    environment.update(
        NEO4J_URI=target.uri,
        NEO4J_USER=target.user,
        NEO4J_PASSWORD=target.password,
        NEO4J_DATABASE=target.database,
        MAESTRO_DATA_DIR=str(TEST_DATA_DIR),
        MAESTRO_PROFILE="dev",
        MAESTRO_LOG_LEVEL="WARNING",
        **env,
    )
    command = [sys.executable, "-m", "uvicorn", "maestro_graph.app:create_app", "--factory", "--port", str(port)]
    process = subprocess.Popen(command, env=environment, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the server did not start"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            time.sleep(0.05)
        yield process, url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()


def test_each_event_arrives_once_across_a_server_killed_mid_delivery(graph, neo4j_target, receiver):
    env = {
        "MAESTRO_WEBHOOKS_ALLOW_PRIVATE_TARGETS": "true",
        "MAESTRO_EVENTS_POLL_SECONDS": "0.05",
        "MAESTRO_WEBHOOK_TIMEOUT_SECONDS": "3",
        "MAESTRO_WEBHOOK_LEASE_SECONDS": "4",
    }
    receiver.hold = 3
    projects = [f"kill-{i}" for i in range(6)]
    with server_process(neo4j_target, env) as (first, base):
        created = gql(base, CREATE, {"url": receiver.url, "filter": {"projectIds": projects}})
        secret = created["createWebhook"]["secret"]
        # One request, one transaction per field: the writes are committed at once.
        writes = " ".join(
            f'w{i}: upsertProject(input: {{id: "{p}", name: "N"}}) {{ id }}' for i, p in enumerate(projects)
        )
        gql(base, f"mutation {{ {writes} }}")
        assert receiver.holding.wait(WAIT), "the third delivery did not arrive"
        first.kill()  # SIGKILL: no shutdown, the lease and the cursor stay as they were
        first.wait(WAIT)
    receiver.release.set()
    with server_process(neo4j_target, env):
        bodies = receiver.wait_for(len(projects) + 1)
        time.sleep(0.5)  # rounds of the worker after the last delivery, to show nothing more comes
    per_id = Counter(body["id"] for body in receiver.deliveries())
    by_project = [body["event"]["projectIds"][0] for body in bodies]
    assert sorted(set(by_project)) == sorted(projects)  # nothing lost
    assert by_project == [*projects[:3], *projects[2:]]  # in order; the one in flight at the kill again
    assert per_id[bodies[2]["id"]] == 2 and all(n == 1 for i, n in per_id.items() if i != bodies[2]["id"])
    assert all(verified(delivery, secret) for delivery in receiver.received)
