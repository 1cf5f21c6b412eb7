"""Authorization: scopes (read < write < admin) and per-project roles from MEMBER_OF,
enforced by the schema's permission classes; and the two profiles' rules for callers
without a token."""

from __future__ import annotations

import logging

import pytest
from conftest import access_token, bearer, count, data, make_client, register_client

GRAPH_WRITES = "MATCH (n) WHERE NOT n:AuditEvent RETURN count(n) + COUNT { ()-[]->() }"

USAGE = 'mutation($p: ID!) { recordUsage(input: {projectId: $p, artifactId: "art"}) { usage { count } } }'
UPSERT_PROJECT = 'mutation($p: ID!) { upsertProject(input: {id: $p, name: "renamed"}) { id } }'
ADD_MEMBER = 'mutation($p: ID!) { addMember(personId: "u-none", projectId: $p, role: VIEWER) { membership { roles } } }'
DELETE_PROJECT = "mutation($p: ID!) { deleteProject(id: $p) { id } }"


@pytest.fixture(scope="module")
def world(production, graph, neo4j_target):
    """People with roles on p-a and p-b, and a token for each kind of caller."""
    admin = access_token(production, register_client(neo4j_target, "admin", "read write admin"))
    for person in ("u-owner", "u-contrib", "u-viewer", "u-none"):
        data(
            production, "mutation($id: ID!) { upsertPerson(input: {id: $id}) { id } }", {"id": person}, **bearer(admin)
        )
    for project in ("p-a", "p-b"):
        data(
            production,
            "mutation($id: ID!, $name: String!) { upsertProject(input: {id: $id, name: $name}) { id } }",
            {"id": project, "name": project},
            **bearer(admin),
        )
    data(
        production, 'mutation { upsertArtifact(input: {id: "art", name: "Art", kind: MODEL}) { id } }', **bearer(admin)
    )
    for person, project, role in (
        ("u-owner", "p-a", "OWNER"),
        ("u-contrib", "p-a", "CONTRIBUTOR"),
        ("u-viewer", "p-a", "VIEWER"),
        ("u-owner", "p-b", "VIEWER"),
    ):
        data(
            production,
            "mutation($pe: ID!, $p: ID!, $r: MemberRole!) { addMember(personId: $pe, projectId: $p, role: $r) "
            "{ membership { roles } } }",
            {"pe": person, "p": project, "r": role},
            **bearer(admin),
        )

    def token(scope: str, person: str | None = None, requested: str | None = None) -> str:
        return access_token(production, register_client(neo4j_target, f"{scope}-{person}", scope, person), requested)

    return {
        "admin": admin,
        "reader": token("read", "u-owner"),
        "owner": token("read write", "u-owner"),
        "contrib": token("write", "u-contrib"),
        "viewer": token("write", "u-viewer"),
        "unmapped": token("write"),
        "owner-read-only": token("read write", "u-owner", requested="read"),
    }


def forbidden(client, query: str, variables: dict, token: str, graph) -> str:
    before = count(graph, GRAPH_WRITES)
    body = client.post("/graphql", json={"query": query, "variables": variables}, **bearer(token)).json()
    error = body["errors"][0]
    assert error["extensions"]["code"] == "FORBIDDEN", body
    assert count(graph, GRAPH_WRITES) == before, "a refused write wrote something"
    return error["message"]


def allowed(client, query: str, variables: dict, token: str) -> dict:
    return data(client, query, variables, **bearer(token))


@pytest.mark.parametrize("caller", ["reader", "owner-read-only"])
@pytest.mark.parametrize("mutation", [USAGE, UPSERT_PROJECT, ADD_MEMBER, DELETE_PROJECT])
def test_read_scope_reads_and_never_writes(production, world, graph, caller, mutation):
    assert allowed(production, '{ project(id: "p-a") { name } }', {}, world[caller])["project"]
    message = forbidden(production, mutation, {"p": "p-a"}, world[caller], graph)
    assert "'write' scope" in message


def test_owner_writes_to_its_own_project(production, world):
    assert allowed(production, USAGE, {"p": "p-a"}, world["owner"])
    assert allowed(production, UPSERT_PROJECT, {"p": "p-a"}, world["owner"])
    assert allowed(production, ADD_MEMBER, {"p": "p-a"}, world["owner"])


@pytest.mark.parametrize("mutation", [USAGE, UPSERT_PROJECT, ADD_MEMBER, DELETE_PROJECT])
def test_cross_project_write_is_refused(production, world, graph, mutation):
    # u-owner owns p-a, but is only a viewer of p-b.
    message = forbidden(production, mutation, {"p": "p-b"}, world["owner"], graph)
    assert "p-b" in message


def test_creating_a_project_needs_admin(production, world, graph):
    forbidden(production, UPSERT_PROJECT, {"p": "p-new"}, world["owner"], graph)
    assert allowed(production, UPSERT_PROJECT, {"p": "p-new"}, world["admin"])


def test_contributor_changes_usage_but_not_membership(production, world, graph):
    assert allowed(production, USAGE, {"p": "p-a"}, world["contrib"])
    assert "maintainer or owner" in forbidden(production, ADD_MEMBER, {"p": "p-a"}, world["contrib"], graph)
    forbidden(production, DELETE_PROJECT, {"p": "p-a"}, world["contrib"], graph)
    # Not even to make itself owner.
    promote = 'mutation { addMember(personId: "u-contrib", projectId: "p-a", role: OWNER) { membership { roles } } }'
    forbidden(production, promote, {}, world["contrib"], graph)


def test_viewer_with_write_scope_cannot_write(production, world, graph):
    forbidden(production, USAGE, {"p": "p-a"}, world["viewer"], graph)


def test_client_without_a_person_has_no_project_roles(production, world, graph):
    forbidden(production, USAGE, {"p": "p-a"}, world["unmapped"], graph)
    # Catalogue writes need the scope only.
    assert allowed(
        production,
        'mutation { upsertArtifact(input: {id: "art2", name: "Art 2", kind: DATASET}) { id } }',
        {},
        world["unmapped"],
    )


@pytest.mark.parametrize(
    "mutation",
    [
        'mutation { upsertPerson(input: {id: "u-new"}) { id } }',
        'mutation { upsertTeam(input: {id: "t-new", name: "T"}) { id } }',
        'mutation { deleteArtifact(id: "art") { id } }',
        'mutation { deletePerson(id: "u-viewer") { id } }',
        'mutation { addTeamMember(personId: "u-owner", teamId: "t1") { id } }',
    ],
)
def test_people_teams_and_shared_deletes_need_admin(production, world, graph, mutation):
    assert "'admin' scope" in forbidden(production, mutation, {}, world["owner"], graph)


def test_audit_trail_needs_admin(production, world):
    body = production.post(
        "/graphql", json={"query": "{ auditEvents { totalCount } }"}, **bearer(world["owner"])
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN" and body["data"] is None
    assert allowed(production, "{ auditEvents { totalCount } }", {}, world["admin"])["auditEvents"]["totalCount"] > 0


def test_losing_a_role_takes_effect_at_once(production, world, graph):
    assert allowed(production, USAGE, {"p": "p-a"}, world["contrib"])
    allowed(production, 'mutation { removeMember(personId: "u-contrib", projectId: "p-a") { id } }', {}, world["owner"])
    forbidden(production, USAGE, {"p": "p-a"}, world["contrib"], graph)


def test_admin_writes_anywhere(production, world):
    assert allowed(production, USAGE, {"p": "p-b"}, world["admin"])
    assert allowed(production, DELETE_PROJECT, {"p": "p-new"}, world["admin"])


def test_each_field_of_a_request_is_checked_on_its_own(production, world, graph):
    body = production.post(
        "/graphql",
        json={
            "query": """mutation {
        ok: recordUsage(input: {projectId: "p-a", artifactId: "art2"}) { usage { count } }
        no: recordUsage(input: {projectId: "p-b", artifactId: "art2"}) { usage { count } } }"""
        },
        **bearer(world["owner"]),
    ).json()
    # Each field is checked with its own arguments, all before the first runs: one refused
    # field means none ran, so `data: null` tells the truth.
    assert [e["path"] for e in body["errors"]] == [["no"]] and body["data"] is None
    uses = "MATCH (:Project {id: $p})-[:USES]->(:Artifact {id: 'art2'}) RETURN count(*)"
    assert (count(graph, uses, p="p-a"), count(graph, uses, p="p-b")) == (0, 0)


# --- callers without a token --------------------------------------------------------------


def test_production_refuses_anonymous_callers_even_on_loopback(graph, neo4j_target):
    with make_client(neo4j_target, profile="production", peer="127.0.0.1") as client:
        response = client.post("/graphql", json={"query": "{ projects { totalCount } }"})
        assert response.status_code == 401


def test_dev_gives_loopback_callers_full_rights_and_says_so(graph, neo4j_target, caplog):
    with caplog.at_level(logging.WARNING), make_client(neo4j_target, profile="dev") as client:
        assert data(client, 'mutation { upsertPerson(input: {id: "dev-made"}) { id } }')
        assert (
            data(client, '{ auditEvents(filter: {actor: "anonymous"}) { totalCount } }')["auditEvents"]["totalCount"]
            >= 1
        )
    assert any("FULL RIGHTS" in record.getMessage() for record in caplog.records)


def test_dev_refuses_anonymous_callers_off_loopback(graph, neo4j_target):
    with make_client(neo4j_target, profile="dev", peer="192.0.2.50") as client:
        assert client.post("/graphql", json={"query": "{ projects { totalCount } }"}).status_code == 401


def test_dev_never_falls_back_to_anonymous_on_a_bad_token(graph, neo4j_target):
    with make_client(neo4j_target, profile="dev") as client:
        response = client.post("/graphql", json={"query": "{ projects { totalCount } }"}, **bearer("not.a.token"))
        assert response.status_code == 401


def test_dev_honours_a_token_when_one_is_sent(graph, neo4j_target):
    with make_client(neo4j_target, profile="dev") as client:
        reader = access_token(client, register_client(neo4j_target, "dev-reader", "read"))
        body = client.post(
            "/graphql", json={"query": UPSERT_PROJECT, "variables": {"p": "p-a"}}, **bearer(reader)
        ).json()
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
