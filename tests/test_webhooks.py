"""CI/CD webhooks over HTTP against the real Neo4j.

GitHub deliveries are replayed from payloads written after GitHub's documented schemas
(push, deployment_status, workflow_run), signed with the integration's secret or not;
the generic deployments endpoint is called with OAuth tokens of every kind of caller."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import uuid

import pytest
from conftest import access_token, count, make_client, register_client
from cryptography.fernet import Fernet

from maestro_graph.db.connection import open_async_driver
from maestro_graph.db.graph import GraphDB
from maestro_graph.integrations import registry, signatures
from maestro_graph.secret_box import SecretBox

KEY = Fernet.generate_key().decode()
PROJECT = "web-app"
EVERYTHING = "MATCH (n) RETURN count(n) + COUNT { ()-[]->() }"
SHA = ["%040x" % (0xA1B2C3 + i) for i in range(8)]

REPOSITORY = {
    "id": 1296269,
    "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
    "name": "Web-App",
    "full_name": "Acme/Web-App",
    "private": False,
    "owner": {"login": "Acme", "id": 1, "type": "Organization"},
    "html_url": "https://github.com/Acme/Web-App",
    "default_branch": "main",
}
SENDER = {"login": "octocat", "id": 583231, "type": "User"}


def _person(name: str) -> dict:
    return {"name": name, "email": f"{name.lower()}@example.org", "username": name.lower()}


def push_payload(after: str, commits: list[tuple[str, str]], repository: dict = REPOSITORY) -> dict:
    entries = [
        {
            "id": sha,
            "tree_id": "f" * 40,
            "distinct": True,
            "message": f"change {i}",
            "timestamp": at,
            "url": f"https://github.com/Acme/Web-App/commit/{sha}",
            "author": _person("Ann"),
            "committer": _person("Ann"),
            "added": [],
            "removed": [],
            "modified": ["app.py"],
        }
        for i, (sha, at) in enumerate(commits)
    ]
    return {
        "ref": "refs/heads/main",
        "before": "0" * 40,
        "after": after,
        "created": False,
        "deleted": False,
        "forced": False,
        "base_ref": None,
        "compare": "https://github.com/Acme/Web-App/compare/x...y",
        "commits": entries,
        "head_commit": entries[-1] if entries else None,
        "repository": repository,
        "pusher": {"name": "ann", "email": "ann@example.org"},
        "sender": SENDER,
    }


def deployment_status_payload(
    deployment_id: int,
    state: str,
    at: str,
    sha: str,
    environment: str = "production",
    created: str = "2025-03-03T09:00:00Z",
) -> dict:
    return {
        "action": "created",
        "deployment_status": {
            "url": "https://api.github.com/x",
            "id": deployment_id * 10 + len(state),
            "node_id": "DES_1",
            "state": state,
            "creator": SENDER,
            "description": "",
            "environment": environment,
            "target_url": "https://ci.example/deploys/1",
            "created_at": at,
            "updated_at": at,
            "deployment_url": "https://api.github.com/y",
            "repository_url": "https://api.github.com/z",
        },
        "deployment": {
            "url": "https://api.github.com/y",
            "id": deployment_id,
            "node_id": "DE_1",
            "sha": sha,
            "ref": "main",
            "task": "deploy",
            "payload": {},
            "original_environment": environment,
            "environment": environment,
            "description": None,
            "creator": SENDER,
            "created_at": created,
            "updated_at": at,
            "statuses_url": "https://api.github.com/s",
            "repository_url": "https://api.github.com/z",
        },
        "repository": REPOSITORY,
        "sender": SENDER,
    }


def workflow_run_payload(
    run_id: int, name: str, conclusion: str | None, sha: str, updated: str, attempt: int = 1, status: str = "completed"
) -> dict:
    head = {
        "id": sha,
        "tree_id": "e" * 40,
        "message": "ship it",
        "timestamp": "2025-03-03T08:00:00Z",
        "author": {"name": "Ann", "email": "ann@example.org"},
        "committer": {"name": "Ann", "email": "ann@example.org"},
    }
    return {
        "action": "completed" if status == "completed" else "in_progress",
        "workflow_run": {
            "id": run_id,
            "name": name,
            "node_id": "WFR_1",
            "head_branch": "main",
            "head_sha": sha,
            "path": ".github/workflows/x.yml",
            "display_title": "ship it",
            "run_number": 7,
            "event": "push",
            "status": status,
            "conclusion": conclusion,
            "workflow_id": 161335,
            "check_suite_id": 42,
            "url": "https://api.github.com/r",
            "html_url": f"https://github.com/Acme/Web-App/actions/runs/{run_id}",
            "created_at": "2025-03-03T08:05:00Z",
            "updated_at": updated,
            "run_attempt": attempt,
            "run_started_at": "2025-03-03T08:05:00Z",
            "head_commit": head,
            "repository": REPOSITORY,
            "head_repository": REPOSITORY,
        },
        "workflow": {"id": 161335, "name": name, "path": ".github/workflows/x.yml", "state": "active"},
        "repository": REPOSITORY,
        "sender": SENDER,
    }


def github_signature(secret: str, body: bytes) -> str:
    """Written from GitHub's documentation, independently of the code under test."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def run_async(target, work):
    async def go():
        db = GraphDB(open_async_driver(target, max_pool_size=2), target.database)
        try:
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(go())


@pytest.fixture(scope="module")
def world(graph, neo4j_target):
    for project in (PROJECT, "doomed"):
        graph.execute_query("CREATE (:Project {id: $id, name: $id})", id=project)
    box = SecretBox(KEY.encode())
    secret = run_async(neo4j_target, lambda db: registry.create_github(db, box, "Acme/Web-App", PROJECT, ["Deploy"]))[
        "secret"
    ]
    doomed = run_async(neo4j_target, lambda db: registry.create_github(db, box, "acme/doomed", "doomed", []))["secret"]
    with make_client(neo4j_target, integration_secrets_key=KEY) as client:
        yield {"client": client, "secret": secret, "doomed": doomed, "box": box, "target": neo4j_target}


def deliver(
    world,
    event: str,
    payload,
    secret: str | None = None,
    delivery: str | None = None,
    signature: str | None = None,
    body: bytes | None = None,
):
    body = body if body is not None else json.dumps(payload).encode()
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/abc",
    }
    if signature != "":
        headers["X-Hub-Signature-256"] = signature or github_signature(secret or world["secret"], body)
    return world["client"].post("/webhooks/github", content=body, headers=headers)


def rows(graph, query: str, **params) -> list[dict]:
    records, _, _ = graph.execute_query(query, params)
    return [
        {k: v.to_native().isoformat() if hasattr(v, "to_native") else v for k, v in r.data().items()} for r in records
    ]


def test_signature_matches_githubs_documented_example():
    # From GitHub's "Validating webhook deliveries".
    header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert signatures.verify("It's a Secret to Everybody", b"Hello, World!", header)
    assert not signatures.verify("It's a Secret to Everybody", b"Hello, World?", header)
    assert not signatures.verify("It's a Secret to Everybody", b"Hello, World!", header.replace("sha256=", "sha1="))


def test_the_secret_is_stored_sealed_and_listed_without_it(world, graph):
    (stored,) = rows(
        graph,
        "MATCH (i:Integration {id: 'github:acme/web-app'}) RETURN i.secret_sealed AS sealed, "
        "i.project_id AS project, i.deploy_workflows AS workflows",
    )
    assert world["secret"] not in stored["sealed"] and world["box"].open(stored["sealed"]) == world["secret"]
    assert (stored["project"], stored["workflows"]) == (PROJECT, ["deploy"])
    listed = run_async(world["target"], registry.list_integrations)
    assert [i["id"] for i in listed] == ["github:acme/doomed", "github:acme/web-app"]
    assert all("secret" not in key for i in listed for key in i)
    with pytest.raises(registry.IntegrationError, match="already registered"):
        run_async(world["target"], lambda db: registry.create_github(db, world["box"], "ACME/web-app", PROJECT, []))
    with pytest.raises(registry.IntegrationError, match="no Project"):
        run_async(world["target"], lambda db: registry.create_github(db, world["box"], "acme/x", "nope", []))


def test_ping_is_answered_once_verified(world, graph):
    before = count(graph, EVERYTHING)
    response = deliver(world, "ping", {"zen": "Keep it logically awesome.", "hook_id": 1, "repository": REPOSITORY})
    assert (response.status_code, response.json()) == (200, {"status": "pong"})
    assert count(graph, EVERYTHING) == before


@pytest.mark.parametrize("case", ["wrong secret", "tampered body", "missing", "sha1", "unknown repository"])
def test_bad_signatures_get_401_and_write_nothing(world, graph, case):
    before = count(graph, EVERYTHING)
    payload = push_payload(SHA[7], [(SHA[7], "2025-03-01T10:00:00Z")])
    body = json.dumps(payload).encode()
    if case == "wrong secret":
        response = deliver(world, "push", payload, secret="not-the-secret")
    elif case == "tampered body":
        response = deliver(
            world, "push", None, body=body.replace(b"Ann", b"Eve"), signature=github_signature(world["secret"], body)
        )
    elif case == "missing":
        response = deliver(world, "push", payload, signature="")
    elif case == "sha1":
        response = deliver(
            world,
            "push",
            payload,
            signature="sha1=" + hmac.new(world["secret"].encode(), body, hashlib.sha1).hexdigest(),
        )
    else:
        response = deliver(world, "push", push_payload(SHA[7], [], {**REPOSITORY, "full_name": "acme/other"}))
    assert response.status_code == 401, response.text
    assert count(graph, EVERYTHING) == before


def test_malformed_requests_get_400_and_write_nothing(world, graph):
    before = count(graph, EVERYTHING)
    # Signed, and naming the repository (so its secret is tried), yet not JSON.
    assert deliver(world, "push", None, body=b'{"repository": {"full_name": "Acme/Web-App"}').status_code == 400
    # Signed, but the repository is named only deeper down, not as the payload's own.
    no_repository = deliver(world, "push", {"ref": "refs/heads/main", "workflow_run": {"repository": REPOSITORY}})
    assert (no_repository.status_code, no_repository.json()["error"]) == (400, "repository.full_name is missing")
    assert deliver(world, "push", push_payload("not-a-sha", [])).status_code == 400
    bad_commit = push_payload(SHA[7], [(SHA[7], "yesterday")])
    assert "commits[0].timestamp" in deliver(world, "push", bad_commit).json()["error"]
    no_state = deployment_status_payload(9, "success", "2025-03-03T10:00:00Z", SHA[7])
    del no_state["deployment_status"]["state"]
    assert deliver(world, "deployment_status", no_state).status_code == 400
    odd_state = deployment_status_payload(9, "exploded", "2025-03-03T10:00:00Z", SHA[7])
    assert deliver(world, "deployment_status", odd_state).status_code == 400
    run = workflow_run_payload(5, "Deploy", "success", SHA[7], "2025-03-03T10:00:00Z", attempt=0)
    assert deliver(world, "workflow_run", run, delivery="reused-id").status_code == 400
    body = json.dumps(push_payload(SHA[7], [])).encode()
    missing_delivery = world["client"].post(
        "/webhooks/github",
        content=body,
        headers={"X-GitHub-Event": "push", "X-Hub-Signature-256": github_signature(world["secret"], body)},
    )
    assert missing_delivery.status_code == 400
    assert count(graph, EVERYTHING) == before
    # The refused delivery's id was not remembered: a good delivery with it is processed.
    good = workflow_run_payload(5, "CI", "success", SHA[7], "2025-03-03T10:00:00Z")
    assert deliver(world, "workflow_run", good, delivery="reused-id").json() == {"status": "recorded"}


def test_a_push_records_its_commits_and_a_redelivery_is_ignored(world, graph):
    payload = push_payload(SHA[1], [(SHA[0], "2025-03-01T10:00:00+01:00"), (SHA[1], "2025-03-01T12:00:00Z")])
    delivery = str(uuid.uuid4())
    assert deliver(world, "push", payload, delivery=delivery).json() == {"status": "recorded"}
    commits = rows(
        graph,
        "MATCH (c:Commit) WHERE c.id IN $shas RETURN c.id AS id, c.at AS at, c.batch AS batch ORDER BY id",
        shas=SHA[:2],
    )
    assert commits == [
        {"id": SHA[0], "at": "2025-03-01T09:00:00+00:00", "batch": None},
        {"id": SHA[1], "at": "2025-03-01T12:00:00+00:00", "batch": [SHA[0], SHA[1]]},
    ]
    before = count(graph, EVERYTHING)
    assert deliver(world, "push", payload, delivery=delivery).json() == {"status": "duplicate"}
    assert count(graph, EVERYTHING) == before
    deleted = {**push_payload("0" * 40, []), "deleted": True}
    assert deliver(world, "push", deleted).json()["status"] == "ignored"
    assert count(graph, EVERYTHING) == before


def test_deployment_statuses_arriving_in_any_order(world, graph):
    def status(state: str, at: str, environment: str = "production"):
        response = deliver(world, "deployment_status", deployment_status_payload(77, state, at, SHA[1], environment))
        assert response.json() == {"status": "recorded"}, response.text

    def stored():
        (row,) = rows(
            graph,
            "MATCH (:Project {id: $p})-[:HAS_DEPLOYMENT]->(d:Deployment {id: $id}) RETURN d.state AS state, "
            "d.outcome AS outcome, d.finished_at AS finished, d.started_at AS started, d.sha AS sha, "
            "d.production AS production, d.environment AS environment",
            p=PROJECT,
            id="github:acme/web-app:deployment:77",
        )
        return row

    status("in_progress", "2025-03-03T09:01:00Z")
    status("success", "2025-03-03T09:05:00Z")
    status("queued", "2025-03-03T09:00:30Z")  # late delivery of an older state: ignored
    assert stored() == {
        "state": "success",
        "outcome": "success",
        "finished": "2025-03-03T09:05:00+00:00",
        "started": "2025-03-03T09:00:00+00:00",
        "sha": SHA[1],
        "production": True,
        "environment": "production",
    }
    status("inactive", "2025-03-04T09:00:00Z")  # superseded later: the outcome stays
    assert (stored()["state"], stored()["outcome"]) == ("inactive", "success")


def test_workflow_runs_and_runs_of_the_deploy_workflow(world, graph):
    for run in (
        workflow_run_payload(900, "CI", "success", SHA[2], "2025-03-05T10:00:00Z"),
        workflow_run_payload(901, "Deploy", "failure", SHA[2], "2025-03-05T11:00:00Z"),
        workflow_run_payload(901, "Deploy", "success", SHA[2], "2025-03-05T12:00:00Z", attempt=2),
        workflow_run_payload(902, "Deploy", None, SHA[3], "2025-03-05T13:00:00Z", status="in_progress"),
    ):
        assert deliver(world, "workflow_run", run).json() == {"status": "recorded"}
    runs = rows(
        graph,
        "MATCH (:Project {id: $p})-[:HAS_PIPELINE_RUN]->(r:PipelineRun) WHERE r.id CONTAINS ':run:90' "
        "RETURN r.id AS id, r.name AS name, r.conclusion AS conclusion, r.finished_at AS finished ORDER BY id",
        p=PROJECT,
    )
    assert runs == [
        {
            "id": "github:acme/web-app:run:900:1",
            "name": "CI",
            "conclusion": "success",
            "finished": "2025-03-05T10:00:00+00:00",
        },
        {
            "id": "github:acme/web-app:run:901:1",
            "name": "Deploy",
            "conclusion": "failure",
            "finished": "2025-03-05T11:00:00+00:00",
        },
        {
            "id": "github:acme/web-app:run:901:2",
            "name": "Deploy",
            "conclusion": "success",
            "finished": "2025-03-05T12:00:00+00:00",
        },
        {"id": "github:acme/web-app:run:902:1", "name": "Deploy", "conclusion": None, "finished": None},
    ]
    deployments = rows(
        graph,
        "MATCH (:Project {id: $p})-[:HAS_DEPLOYMENT]->(d:Deployment) WHERE d.id CONTAINS ':run:' "
        "RETURN d.id AS id, d.state AS state, d.outcome AS outcome ORDER BY id",
        p=PROJECT,
    )
    assert deployments == [
        {"id": "github:acme/web-app:run:901:1", "state": "failure", "outcome": "failure"},
        {"id": "github:acme/web-app:run:901:2", "state": "success", "outcome": "success"},
        {"id": "github:acme/web-app:run:902:1", "state": "in_progress", "outcome": None},
    ]
    assert rows(graph, "MATCH (c:Commit {id: $sha}) RETURN c.at AS at", sha=SHA[2]) == [
        {"at": "2025-03-03T08:00:00+00:00"}
    ]


def test_other_events_are_acknowledged_and_ignored(world, graph):
    before = count(graph, EVERYTHING)
    response = deliver(world, "issues", {"action": "opened", "issue": {"number": 1}, "repository": REPOSITORY})
    assert (response.status_code, response.json()["status"]) == (200, "ignored")
    assert count(graph, EVERYTHING) == before


def test_an_event_for_a_deleted_project_is_refused_and_not_remembered(world, graph):
    graph.execute_query("MATCH (p:Project {id: 'doomed'}) DETACH DELETE p")
    before = count(graph, EVERYTHING)
    payload = deployment_status_payload(5, "success", "2025-03-03T10:00:00Z", SHA[4])
    payload["repository"] = {**REPOSITORY, "full_name": "acme/doomed"}
    response = deliver(world, "deployment_status", payload, secret=world["doomed"])
    assert response.status_code == 422 and "doomed" in response.json()["error"]
    assert count(graph, EVERYTHING) == before


# --- the generic endpoint ----------------------------------------------------------------

GENERIC = {
    "projectId": PROJECT,
    "deploymentId": "build-1",
    "environment": "prod",
    "status": "success",
    "sha": SHA[5],
    "startedAt": "2025-03-06T09:00:00Z",
    "finishedAt": "2025-03-06T09:10:00Z",
    "commits": [{"sha": SHA[5], "committedAt": "2025-03-06T07:10:00Z"}],
}


@pytest.fixture(scope="module")
def callers(world, production, graph, neo4j_target):
    graph.execute_query(
        "CREATE (h:Person {id: 'u-dev', kind: 'person'}) WITH h MATCH (p:Project {id: $p}) "
        "CREATE (h)-[:MEMBER_OF {roles: ['contributor']}]->(p)",
        p=PROJECT,
    )
    graph.execute_query(
        "CREATE (:Person {id: 'u-viewer', kind: 'person'}) WITH 1 AS x MATCH (h:Person {id: 'u-viewer'}), "
        "(p:Project {id: $p}) CREATE (h)-[:MEMBER_OF {roles: ['viewer']}]->(p)",
        p=PROJECT,
    )

    def token(scope: str, person: str | None = None) -> str:
        return access_token(production, register_client(neo4j_target, f"ci-{scope}-{person}", scope, person))

    return {
        "reader": token("read", "u-dev"),
        "developer": token("read write", "u-dev"),
        "viewer": token("read write", "u-viewer"),
        "admin": token("read write admin"),
    }


def post_deployment(client, body, token: str | None = None, key: str | None = None):
    headers = {**({"Authorization": f"Bearer {token}"} if token else {}), **({"Idempotency-Key": key} if key else {})}
    return client.post("/webhooks/deployments", json=body, headers=headers)


def test_generic_deployments_need_a_token_with_write_on_the_project(production, callers, graph):
    before = count(graph, EVERYTHING)
    response = post_deployment(production, GENERIC)
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert post_deployment(production, GENERIC, "not-a-token").status_code == 401
    assert post_deployment(production, GENERIC, callers["reader"]).status_code == 403
    assert post_deployment(production, GENERIC, callers["viewer"]).status_code == 403
    assert count(graph, EVERYTHING) == before
    response = post_deployment(production, GENERIC, callers["developer"], key="release-1")
    assert response.json() == {"status": "recorded", "deploymentId": f"generic:{PROJECT}:build-1"}
    (deployment,) = rows(
        graph,
        "MATCH (:Project {id: $p})-[:HAS_DEPLOYMENT]->(d:Deployment {id: $id}) RETURN d.production "
        "AS production, d.outcome AS outcome, d.finished_at AS finished, d.changes AS changes, "
        "d.source AS source",
        p=PROJECT,
        id=f"generic:{PROJECT}:build-1",
    )
    assert deployment == {
        "production": True,
        "outcome": "success",
        "finished": "2025-03-06T09:10:00+00:00",
        "changes": [SHA[5]],
        "source": "generic",
    }
    (event,) = rows(
        graph, "MATCH (e:AuditEvent {action: 'recordDeployment'}) RETURN e.actor AS actor, e.targets AS targets"
    )
    assert event == {"actor": "person:u-dev", "targets": [PROJECT, f"generic:{PROJECT}:build-1"]}


def test_generic_retries_with_the_same_key_are_duplicates(production, callers, graph):
    before = count(graph, EVERYTHING)
    assert post_deployment(production, GENERIC, callers["developer"], key="release-1").json()["status"] == "duplicate"
    assert count(graph, EVERYTHING) == before
    # Another caller's key space is its own.
    assert post_deployment(production, GENERIC, callers["admin"], key="release-1").json()["status"] == "recorded"


def test_generic_malformed_bodies_and_unknown_projects(production, callers, graph):
    before = count(graph, EVERYTHING)
    admin = callers["admin"]
    for body, fragment in (
        ({**GENERIC, "status": "exploded"}, "status"),
        ({**GENERIC, "projectId": ""}, "projectId"),
        ({**GENERIC, "finishedAt": "tomorrow"}, "finishedAt"),
        ({**GENERIC, "sha": "xyz"}, "sha"),
        ({**GENERIC, "production": "yes"}, "production"),
        ([GENERIC], "object"),
        ({**GENERIC, "commits": [{"sha": SHA[5], "committedAt": 5}]}, "commits[0].committedAt"),
    ):
        response = post_deployment(production, body, admin)
        assert response.status_code == 400 and fragment in response.json()["error"], (body, response.text)
    not_json = production.post("/webhooks/deployments", content=b"{", headers={"Authorization": f"Bearer {admin}"})
    assert not_json.status_code == 400
    assert post_deployment(production, {**GENERIC, "projectId": "nope"}, admin).status_code == 404
    assert count(graph, EVERYTHING) == before


def test_a_large_push_is_read_not_refused_for_size(world):
    # A push of many commits is far over the API's body limit; GitHub sends up to 25 MB.
    commits = [(f"{i:040x}", "2026-11-01T10:00:00Z") for i in range(2000)]  # GitHub lists at most 2048
    payload = push_payload(f"{9999:040x}", commits)
    body = json.dumps(payload).encode()
    assert len(body) > 262_144
    response = deliver(world, "push", payload, body=body)
    assert response.status_code == 200, response.text
    # The same size anywhere else is still refused.
    assert (
        world["client"].post("/graphql", content=body, headers={"Content-Type": "application/json"}).status_code == 413
    )
