"""Webhook bodies an attacker or a careless sender might send: refused cheaply, with a 4xx,
and nothing written.

The GitHub webhook verifies the signature over the raw bytes before it parses them, so an
unsigned body is refused as unsigned whatever it holds; nesting that would exhaust the
parser's recursion, invalid UTF-8 and bodies that are not JSON get a 400 on both webhooks."""

from __future__ import annotations

import json
import uuid

import pytest
from conftest import access_token, count, register_client
from test_webhooks import (
    EVERYTHING,
    GENERIC,
    PROJECT,
    SHA,
    deployment_status_payload,
    github_signature,
    push_payload,
    world,  # noqa: F401  (the fixture: an app with two registered repositories)
)

from maestro_graph.integrations import json_body
from maestro_graph.integrations.github_webhook import MAX_CANDIDATES, named_integrations

DEEP = b"[" * 100_000


def deliver(world, body: bytes, signature: str | None, event: str = "push"):  # noqa: F811
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": str(uuid.uuid4()), "Content-Type": "application/json"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return world["client"].post("/webhooks/github", content=body, headers=headers)


# --- the scan, without a server ------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        [],
        {},
        "[[[{",
        {"a": "]]]]}}}"},
        [[['\\"[', {"k\\": ["\\\\"]}]]],
        {"x": [1, {"y": [True, None, "é"]}]},
    ],
)
def test_the_depth_scan_agrees_with_the_parser(value):
    def depth(v) -> int:
        children = v.values() if isinstance(v, dict) else v if isinstance(v, list) else None
        return 0 if children is None else 1 + max(map(depth, children), default=0)

    for ascii_only in (True, False):
        assert json_body.nesting_depth(json.dumps(value, ensure_ascii=ascii_only).encode()) == depth(value)


@pytest.mark.parametrize(
    "body, reason",
    [
        (DEEP, "deeper than 64 levels"),
        (b'{"a": ' * 65 + b"1" + b"}" * 65, "deeper than 64 levels"),
        (b"\xff\xfe{}", "not UTF-8"),
        (json.dumps({"a": 1}).encode("utf-16"), "not UTF-8"),
        (b"x", "not JSON"),
        (b'{"a": 1', "not JSON"),
        (b'{"environment": "\\ud800"}', "lone UTF-16 surrogate"),
    ],
)
def test_bodies_the_parser_must_not_be_given(body, reason):
    with pytest.raises(json_body.BadJsonBody, match=reason):
        json_body.parse(body)


def test_what_the_parser_is_given():
    assert json_body.parse(b'{"a": "\\ud83d\\ude00 [{"}') == {"a": "\U0001f600 [{"}  # a paired escape is a character
    assert json_body.parse(b"[" * 64 + b"]" * 64) is not None


def test_candidate_repositories_are_found_in_the_raw_bytes():
    run = {"repository": {"full_name": "Acme/Web-App"}, "head_repository": {"full_name": "fork/x"}}
    # A name inside a string is escaped in the raw bytes: not a key, so not a candidate.
    payload = {"workflow_run": run, "repository": {"full_name": "acme/web-app"}, "note": '"full_name": "not/this"'}
    assert named_integrations(json.dumps(payload).encode()) == ["github:acme/web-app", "github:fork/x"]
    many = json.dumps([{"full_name": f"o/r{i}"} for i in range(50)]).encode()
    assert len(named_integrations(many)) == MAX_CANDIDATES
    assert named_integrations(b"\xff not json, no names") == []


# --- the GitHub webhook --------------------------------------------------------------------


def test_an_unsigned_body_is_refused_before_it_is_parsed(world, graph):  # noqa: F811
    before = count(graph, EVERYTHING)
    # A large body that is not even JSON, with a signature that is not the secret's: had it
    # been parsed first, the answer would be a 400 about JSON.
    garbage = b'{"repository": {"full_name": "Acme/Web-App"}, "padding": "' + b"\xff[" * 2_000_000
    response = deliver(world, garbage, github_signature("not-the-secret", garbage))
    assert (response.status_code, response.json()) == (401, {"error": "unknown repository or bad signature"})
    # Without a signature header it is refused on the headers alone.
    assert deliver(world, garbage, None).status_code == 401
    # Nesting that would exhaust the parser, unsigned: a signature error too, not a 400 or a 500.
    unsigned_deep = b'{"repository": {"full_name": "Acme/Web-App"}, "x": ' + DEEP
    assert deliver(world, unsigned_deep, github_signature("forged", unsigned_deep)).status_code == 401
    assert count(graph, EVERYTHING) == before


def test_signed_bodies_that_are_not_json_get_400(world, graph):  # noqa: F811
    before = count(graph, EVERYTHING)
    named = b'{"repository": {"full_name": "Acme/Web-App"}, "x": '
    for body, reason in (
        (named + DEEP, "deeper than 64 levels"),
        (named + b'"\xff"}', "not UTF-8"),
        (named + b"}", "not JSON"),
    ):
        response = deliver(world, body, github_signature(world["secret"], body))
        assert response.status_code == 400 and reason in response.json()["error"], response.text
    assert count(graph, EVERYTHING) == before


def test_a_signature_vouches_only_for_its_own_repository(world, graph):  # noqa: F811
    # Signed with the secret of acme/doomed, naming acme/doomed deeper down, but sent as acme/web-app's event.
    before = count(graph, EVERYTHING)
    payload = deployment_status_payload(41, "success", "2025-03-03T10:00:00Z", SHA[6])
    payload["deployment"]["payload"] = {"mirror": {"full_name": "acme/doomed"}}
    body = json.dumps(payload).encode()
    response = deliver(world, body, github_signature(world["doomed"], body), event="deployment_status")
    assert response.status_code == 401, response.text
    assert count(graph, EVERYTHING) == before


def test_a_signed_delivery_naming_other_repositories_first_is_recorded(world, graph):  # noqa: F811
    # A run from a fork: the fork is named before the repository the event belongs to.
    payload = push_payload(SHA[6], [(SHA[6], "2025-03-02T10:00:00Z")])
    payload = {"workflow_run": {"head_repository": {"full_name": "someone/fork"}}, **payload}
    body = json.dumps(payload).encode()
    response = deliver(world, body, github_signature(world["secret"], body))
    assert (response.status_code, response.json()) == (200, {"status": "recorded"})
    assert count(graph, "MATCH (c:Commit {id: $sha}) RETURN count(c)", sha=SHA[6]) == 1


# --- the generic deployments endpoint --------------------------------------------------------


def test_deployments_refuse_deep_non_utf8_and_non_json_bodies(world, production, graph, neo4j_target):  # noqa: F811
    admin = access_token(production, register_client(neo4j_target, "ci-hardening", "read write admin"))
    before = count(graph, EVERYTHING)
    for body, reason in (
        (DEEP, "deeper than 64 levels"),
        (b'{"projectId": "' + b"\xff" + b'"}', "not UTF-8"),
        (b'"x"', "must be a JSON object"),
        (b"nope", "not JSON"),
        (json.dumps({**GENERIC, "environment": "?"}).encode().replace(b'"?"', b'"\\ud800"'), "surrogate"),
        # A valid ISO 8601 time that is before year 1 once moved to UTC.
        (json.dumps({**GENERIC, "finishedAt": "0001-01-01T00:00:00+01:00"}).encode(), "finishedAt"),
    ):
        response = production.post(
            "/webhooks/deployments",
            content=body,
            headers={"Authorization": f"Bearer {admin}", "Content-Type": "application/json"},
        )
        assert response.status_code == 400 and reason in response.json()["error"], (body[:60], response.text)
    assert count(graph, EVERYTHING) == before
    good = production.post(
        "/webhooks/deployments",
        json={**GENERIC, "deploymentId": "hardening-1"},
        headers={"Authorization": f"Bearer {admin}"},
    )
    assert good.json() == {"status": "recorded", "deploymentId": f"generic:{PROJECT}:hardening-1"}
