"""Bulk writes through GraphQL: each writes what it says with one audit event per item;
all or nothing by default, `partial` keeps the good items; items are validated as their
single mutation validates them, authorized as it is, and bounded before any work."""

from __future__ import annotations

import pytest
from conftest import access_token, bearer, count, register_client

from maestro_graph.graphql.bulk import MAX_ITEMS

NODES = "MATCH (n) WHERE NOT n:AuditEvent RETURN count(n)"
EDGES = "MATCH ()-[r]->() RETURN count(r)"
EVENTS = "MATCH (e:AuditEvent) RETURN count(e)"
EVENTS_OF = "MATCH (e:AuditEvent {action: $action}) RETURN e.targets AS targets ORDER BY e.targets"

RESULT = "{ committed written failed items { index ok error { code message field } } }"


def bulk(mutation: str, input_type: str, partial: bool = False) -> str:
    return (
        f"mutation($inputs: [{input_type}!]!, $partial: Boolean!) "
        f"{{ {mutation}(inputs: $inputs, partial: $partial) {RESULT} }}"
    )


UPSERT_PROJECTS = bulk("upsertProjects", "ProjectInput")
UPSERT_ARTIFACTS = bulk("upsertArtifacts", "ArtifactInput")
UPSERT_PEOPLE = bulk("upsertPeople", "PersonInput")
RECORD_USAGES = bulk("recordUsages", "UsageInput")
ADD_MEMBERS = bulk("addMembers", "MemberInput")


def post(client, query: str, inputs: list, token: str, partial: bool = False) -> dict:
    response = client.post(
        "/graphql", json={"query": query, "variables": {"inputs": inputs, "partial": partial}}, **bearer(token)
    )
    assert response.status_code == 200, response.text
    return response.json()


def answer(client, query: str, inputs: list, token: str, partial: bool = False) -> dict:
    body = post(client, query, inputs, token, partial)
    assert "errors" not in body, body["errors"]
    return next(iter(body["data"].values()))


def state(graph) -> tuple[int, int, int]:
    return count(graph, NODES), count(graph, EDGES), count(graph, EVENTS)


def bad_items(result: dict) -> dict[int, tuple[str, str | None]]:
    return {
        item["index"]: (item["error"]["code"], item["error"]["field"]) for item in result["items"] if not item["ok"]
    }


@pytest.fixture(scope="module")
def tokens(production, graph, neo4j_target):
    """An admin; u-owner owning b-a and viewing b-b; u-contrib contributing to b-a."""
    admin = access_token(production, register_client(neo4j_target, "bulk-admin", "read write admin"))
    answer(production, UPSERT_PEOPLE, [{"id": "u-owner"}, {"id": "u-contrib"}], admin)
    answer(production, UPSERT_PROJECTS, [{"id": "b-a", "name": "A"}, {"id": "b-b", "name": "B"}], admin)
    answer(production, UPSERT_ARTIFACTS, [{"id": "b-art", "name": "Art", "kind": "MODEL"}], admin)
    memberships = [("u-owner", "b-a", "OWNER"), ("u-owner", "b-b", "VIEWER"), ("u-contrib", "b-a", "CONTRIBUTOR")]
    answer(
        production,
        ADD_MEMBERS,
        [{"personId": person, "projectId": project, "role": role} for person, project, role in memberships],
        admin,
    )
    return {
        "admin": admin,
        "owner": access_token(production, register_client(neo4j_target, "bulk-owner", "read write", "u-owner")),
        "contrib": access_token(production, register_client(neo4j_target, "bulk-contrib", "write", "u-contrib")),
        "writer": access_token(production, register_client(neo4j_target, "bulk-writer", "read write")),
    }


def test_each_bulk_mutation_writes_what_it_says_with_one_event_per_item(production, graph, tokens):
    admin = tokens["admin"]
    people = [{"id": f"w-u{i}", "name": f"Person {i}", "email": f"p{i}@example.org"} for i in range(3)]
    projects = [{"id": f"w-p{i}", "name": f"Project {i}", "tags": ["bulk"]} for i in range(3)]
    artifacts = [{"id": f"w-a{i}", "name": f"Artifact {i}", "kind": "DATASET", "version": "1"} for i in range(3)]
    usages = [{"projectId": f"w-p{i}", "artifactId": f"w-a{i}", "count": i + 1, "kind": "depends"} for i in range(3)]
    members = [{"personId": f"w-u{i}", "projectId": f"w-p{i}", "role": "MAINTAINER"} for i in range(3)]
    for query, inputs in (
        (UPSERT_PEOPLE, people),
        (UPSERT_PROJECTS, projects),
        (UPSERT_ARTIFACTS, artifacts),
        (RECORD_USAGES, usages),
        (ADD_MEMBERS, members),
    ):
        result = answer(production, query, inputs, admin)
        assert result["committed"] and (result["written"], result["failed"]) == (3, 0), result
        assert [(item["index"], item["ok"], item["error"]) for item in result["items"]] == [
            (i, True, None) for i in range(3)
        ]

    rows = graph.execute_query(
        "MATCH (u:Person)-[m:MEMBER_OF]->(p:Project)-[r:USES]->(a:Artifact) WHERE u.id STARTS WITH 'w-' "
        "RETURN u.id, u.name, u.email_hash IS NOT NULL, p.name, p.tags, a.kind, a.version, r.count, r.kinds, m.roles "
        "ORDER BY u.id"
    ).records
    assert [list(row.values()) for row in rows] == [
        [f"w-u{i}", f"Person {i}", True, f"Project {i}", ["bulk"], "dataset", "1", i + 1, ["depends"], ["maintainer"]]
        for i in range(3)
    ]
    events = {
        action: [record["targets"] for record in graph.execute_query(EVENTS_OF, action=action).records]
        for action in ("upsertPeople", "upsertArtifacts", "recordUsages")
    }
    assert events == {
        "upsertPeople": [["u-contrib"], ["u-owner"]] + [[f"w-u{i}"] for i in range(3)],
        "upsertArtifacts": [["b-art"]] + [[f"w-a{i}"] for i in range(3)],
        "recordUsages": [[f"w-p{i}", f"w-a{i}"] for i in range(3)],
    }


def test_a_bad_item_writes_nothing_and_every_bad_item_is_reported(production, graph, tokens):
    admin = tokens["admin"]
    before = state(graph)
    projects = [{"id": "n-p0", "name": "Fine"}, {"id": "n-p1", "name": "  "}, {"id": "n p2", "name": "Bad id"}]
    result = answer(production, UPSERT_PROJECTS, projects, admin)
    assert (result["committed"], result["written"], result["failed"]) == (False, 0, 2)
    assert bad_items(result) == {1: ("BAD_USER_INPUT", "name"), 2: ("BAD_USER_INPUT", "id")}
    assert result["items"][0] == {"index": 0, "ok": True, "error": None}

    # A missing node is found inside the transaction, which is rolled back after its write.
    usages = [
        {"projectId": "b-a", "artifactId": "b-art"},
        {"projectId": "b-a", "artifactId": "no-such-artifact"},
        {"projectId": "no-such-project", "artifactId": "b-art"},
    ]
    result = answer(production, RECORD_USAGES, usages, admin)
    assert (result["committed"], result["written"]) == (False, 0)
    assert bad_items(result) == {1: ("NOT_FOUND", "artifactId"), 2: ("NOT_FOUND", "projectId")}

    # Bad input and a missing node in one call: both reported.
    usages = [{"projectId": "b-a", "artifactId": "no-such-artifact"}, {"projectId": "b-a", "artifactId": " "}]
    result = answer(production, RECORD_USAGES, usages, admin)
    assert bad_items(result) == {0: ("NOT_FOUND", "artifactId"), 1: ("BAD_USER_INPUT", "artifactId")}
    assert state(graph) == before


def test_partial_keeps_the_good_items_and_reports_the_bad_by_index(production, graph, tokens):
    admin = tokens["admin"]
    nodes, edges, events = state(graph)
    members = [
        {"personId": "u-contrib", "projectId": "b-b", "role": "VIEWER"},
        {"personId": "nobody", "projectId": "b-b", "role": "VIEWER"},
        {"personId": "u-contrib", "projectId": "b-b", "role": "OWNER", "since": "2024-01-01T00:00:00+00:00"},
    ]
    result = answer(production, ADD_MEMBERS, members, admin, partial=True)
    assert (result["committed"], result["written"], result["failed"]) == (True, 2, 1)
    assert bad_items(result) == {1: ("NOT_FOUND", "personId")}
    roles = graph.execute_query(
        "MATCH (:Person {id: 'u-contrib'})-[m:MEMBER_OF]->(:Project {id: 'b-b'}) RETURN m.roles AS roles"
    ).records
    assert roles[0]["roles"] == ["viewer", "owner"]
    assert state(graph) == (nodes, edges + 1, events + 2)

    artifacts = [{"id": "k-a0", "name": "Kept", "kind": "MODEL"}, {"id": "k-a1", "name": "x" * 301, "kind": "MODEL"}]
    result = answer(production, UPSERT_ARTIFACTS, artifacts, admin, partial=True)
    assert (result["committed"], result["written"]) == (True, 1)
    assert bad_items(result) == {1: ("BAD_USER_INPUT", "name")}
    assert count(graph, "MATCH (a:Artifact) WHERE a.id STARTS WITH 'k-' RETURN count(a)") == 1


@pytest.mark.parametrize(
    "single, bulk_query, item",
    [
        ("upsertProject(input: $item) { id }", UPSERT_PROJECTS, {"id": "v-p", "name": "P", "tags": ["x" * 301]}),
        (
            "upsertArtifact(input: $item) { id }",
            UPSERT_ARTIFACTS,
            {"id": "v-a", "name": "A", "kind": "MODEL", "description": "d" * 10_001},
        ),
        ("upsertPerson(input: $item) { id }", UPSERT_PEOPLE, {"id": "v-u", "email": "not-an-address"}),
        (
            "recordUsage(input: $item) { usage { count } }",
            RECORD_USAGES,
            {"projectId": "b-a", "artifactId": "b-art", "kind": "  "},
        ),
    ],
)
def test_an_item_is_refused_exactly_as_its_single_mutation_refuses_it(production, tokens, single, bulk_query, item):
    input_type = bulk_query.split("[")[1].split("!")[0]
    document = f"mutation($item: {input_type}!) {{ {single} }}"
    response = production.post(
        "/graphql", json={"query": document, "variables": {"item": item}}, **bearer(tokens["admin"])
    )
    refusal = response.json()["errors"][0]
    error = answer(production, bulk_query, [item], tokens["admin"])["items"][0]["error"]
    assert (error["code"], error["message"], error["field"]) == (
        refusal["extensions"]["code"],
        refusal["message"],
        refusal["extensions"]["field"],
    )


def test_more_than_the_limit_is_refused_before_any_work(production, graph, tokens):
    before = state(graph)
    inputs = [{"projectId": "b-a", "artifactId": "b-art"}] * (MAX_ITEMS + 1)
    body = post(production, RECORD_USAGES, inputs, tokens["owner"])
    assert body["data"] is None
    [error] = body["errors"]
    assert (error["extensions"]["code"], error["extensions"]["maxItems"]) == ("QUERY_TOO_COSTLY", MAX_ITEMS)
    assert f"at most {MAX_ITEMS}" in error["message"]
    # Not even the roles of the items' projects were read.
    assert body["extensions"]["cypher"]["roundTrips"] == 0
    assert state(graph) == before


def test_every_item_counts_towards_the_request_cost(production, tokens):
    few = post(production, RECORD_USAGES, [{"projectId": "b-a", "artifactId": "b-art"}], tokens["admin"])
    many = post(production, RECORD_USAGES, [{"projectId": "b-a", "artifactId": "b-art"}] * 300, tokens["admin"])
    # The answer's objects (`items`, each with its `error`) once for every input.
    assert (few["extensions"]["cost"], many["extensions"]["cost"]) == (1 + 2, 1 + 300 * 2)


def test_the_owner_writes_its_own_projects_and_nothing_else(production, graph, tokens):
    owner = tokens["owner"]
    result = answer(production, UPSERT_PROJECTS, [{"id": "b-a", "name": "A renamed"}], owner)
    assert result["written"] == 1
    before = state(graph)
    # u-owner only views b-b: the whole call is refused, partial or not, naming the item.
    for partial in (False, True):
        body = post(
            production,
            RECORD_USAGES,
            [{"projectId": "b-a", "artifactId": "b-art"}, {"projectId": "b-b", "artifactId": "b-art"}],
            owner,
            partial,
        )
        assert body["data"] is None
        [error] = body["errors"]
        assert (error["extensions"]["code"], error["extensions"]["indexes"]) == ("FORBIDDEN", [1])
        assert "'b-b'" in error["message"]
    # Creating a project needs admin, as upsertProject does.
    body = post(production, UPSERT_PROJECTS, [{"id": "b-new", "name": "New"}], owner)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert state(graph) == before


def test_roles_and_scopes_are_those_of_the_single_mutations(production, graph, tokens):
    before = state(graph)
    usage = [{"projectId": "b-a", "artifactId": "b-art"}]
    member = [{"personId": "u-contrib", "projectId": "b-a", "role": "OWNER"}]
    assert answer(production, RECORD_USAGES, usage, tokens["contrib"])["written"] == 1
    refusals = [
        (ADD_MEMBERS, member, "contrib"),  # a contributor cannot manage membership (nor make itself owner)
        (RECORD_USAGES, usage, "writer"),  # no person, so no role on any project
        (UPSERT_PEOPLE, [{"id": "u-x"}], "owner"),  # people need admin
    ]
    for query, inputs, caller in refusals:
        body = post(production, query, inputs, tokens[caller])
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (query, caller)
    # Catalogue writes need the write scope only.
    assert answer(production, UPSERT_ARTIFACTS, [{"id": "r-a", "name": "R", "kind": "NOTEBOOK"}], tokens["writer"])
    nodes, edges, events = before
    assert state(graph) == (nodes + 1, edges, events + 2)
