"""The GraphQL API over HTTP against the real Neo4j: queries, connections, mutations,
errors that write nothing, and the round-trip bound of the DataLoaders."""

from __future__ import annotations

import pytest
from conftest import count, data, error_of, gql, make_client

UPSERT_PROJECT = """
mutation($input: ProjectInput!) { upsertProject(input: $input) { id name description tags success } }
"""
UPSERT_ARTIFACT = """
mutation($input: ArtifactInput!) { upsertArtifact(input: $input) { id name kind version } }
"""
RECORD_USAGE = """
mutation($input: UsageInput!) { recordUsage(input: $input) { project { id } artifact { id } usage { count kinds } } }
"""
ADD_MEMBER = """
mutation($person: ID!, $project: ID!, $role: MemberRole!) {
  addMember(personId: $person, projectId: $project, role: $role) { membership { roles } }
}
"""


@pytest.fixture(scope="module")
def world(client):
    """Four projects, six artifacts, three people, one team, built through the API itself."""
    for i in range(1, 5):
        data(
            client,
            UPSERT_PROJECT,
            {
                "input": {
                    "id": f"p{i}",
                    "name": f"Project {i}",
                    "description": f"churn model number {i}" if i % 2 else "image search",
                    "section": "vision" if i % 2 == 0 else "tabular",
                    "tags": ["ml", f"t{i}"],
                }
            },
        )
    kinds = ["MODEL", "DATASET", "NOTEBOOK", "LIBRARY", "MODEL", "PIPELINE"]
    for i, kind in enumerate(kinds, start=1):
        data(client, UPSERT_ARTIFACT, {"input": {"id": f"a{i}", "name": f"artifact-{i}", "kind": kind, "version": "1"}})
    for p in range(1, 5):
        for a in range(1, p + 2):  # p1 uses 2 artifacts, p4 uses 5
            data(client, RECORD_USAGE, {"input": {"projectId": f"p{p}", "artifactId": f"a{a}", "kind": "depends"}})
    for i in range(1, 4):
        data(
            client,
            "mutation($i: PersonInput!) { upsertPerson(input: $i) { id } }",
            {"i": {"id": f"u{i}", "name": f"User {i}", "email": f"user{i}@example.org"}},
        )
        data(client, ADD_MEMBER, {"person": f"u{i}", "project": "p1", "role": "MAINTAINER"})
    data(client, 'mutation { upsertTeam(input: {id: "t1", name: "Vision"}) { id } }')
    data(client, 'mutation { addTeamMember(personId: "u1", teamId: "t1") { id } }')
    data(client, 'mutation { addCreator(personId: "u1", artifactId: "a5") { id } }')
    data(client, 'mutation { linkDerivation(artifactId: "a5", sourceId: "a1") { id } }')
    return client


def test_node_by_id_with_its_relationships(world):
    result = data(
        world,
        """{ project(id: "p2") { name section tags
        uses { totalCount edges { node { id kind } usage { count kinds } } }
        members { totalCount } } }""",
    )
    project = result["project"]
    assert project["name"] == "Project 2" and project["section"] == "vision" and project["tags"] == ["ml", "t2"]
    assert project["uses"]["totalCount"] == 3
    assert [e["node"]["id"] for e in project["uses"]["edges"]] == ["a1", "a2", "a3"]
    assert project["uses"]["edges"][0]["usage"] == {"count": 1, "kinds": ["depends"]}
    assert project["members"]["totalCount"] == 0


def test_missing_node_is_null(world):
    assert data(world, '{ project(id: "nope") { id } }')["project"] is None


def test_every_relationship_connection(world):
    result = data(
        world,
        """{
      artifact(id: "a5") { usedBy { totalCount } creators { edges { node { id } } }
                           derivedFrom { edges { node { id } } } }
      a1: artifact(id: "a1") { derivatives { edges { node { id } } } }
      person(id: "u1") { projects { edges { node { id } membership { roles } } } created { totalCount }
                          teams { edges { node { name } } } emailHash }
      team(id: "t1") { members { edges { node { id } } } } }""",
    )
    assert result["artifact"]["usedBy"]["totalCount"] == 1  # only p4 uses five artifacts
    assert result["artifact"]["creators"]["edges"] == [{"node": {"id": "u1"}}]
    assert result["artifact"]["derivedFrom"]["edges"] == [{"node": {"id": "a1"}}]
    assert result["a1"]["derivatives"]["edges"] == [{"node": {"id": "a5"}}]
    assert result["person"]["projects"]["edges"] == [{"node": {"id": "p1"}, "membership": {"roles": ["maintainer"]}}]
    assert result["person"]["created"]["totalCount"] == 1
    assert result["person"]["teams"]["edges"] == [{"node": {"name": "Vision"}}]
    assert len(result["person"]["emailHash"]) == 64 and "@" not in result["person"]["emailHash"]
    assert result["team"]["members"]["edges"] == [{"node": {"id": "u1"}}]


def test_pagination_walks_every_row_once(world):
    seen, after = [], None
    while True:
        page = data(
            world,
            "query($after: String) { artifacts(first: 4, after: $after) { totalCount "
            "edges { node { id } } pageInfo { hasNextPage endCursor } } }",
            {"after": after},
        )["artifacts"]
        assert page["totalCount"] == 6
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"a{i}" for i in range(1, 7)]


def test_filters_and_order(world):
    result = data(
        world,
        """{
      models: artifacts(filter: {kinds: [MODEL]}) { totalCount edges { node { id } } }
      text: projects(filter: {text: "CHURN"}) { totalCount }
      section: projects(filter: {section: "vision"}, orderBy: {field: NAME, direction: DESC}) { edges { node { id } } }
      tags: projects(filter: {tags: ["t3", "t4"]}) { totalCount }
      quietest: projects(first: 1, orderBy: {field: DEGREE, direction: ASC}) { edges { node { id } } } }""",
    )
    assert [e["node"]["id"] for e in result["models"]["edges"]] == ["a1", "a5"]
    assert result["text"]["totalCount"] == 2
    assert [e["node"]["id"] for e in result["section"]["edges"]] == ["p4", "p2"]
    assert result["tags"]["totalCount"] == 2
    assert result["quietest"]["edges"] == [{"node": {"id": "p2"}}]  # 3 uses; p1 has 2 uses + 3 members


def test_full_text_search(world):
    hits = data(world, '{ search(text: "churn", kinds: [PROJECT]) { score node { __typename id } } }')["search"]
    assert {h["node"]["id"] for h in hits} == {"p1", "p3"}
    assert all(h["node"]["__typename"] == "Project" and h["score"] > 0 for h in hits)
    models = data(world, '{ search(text: "artifact", artifactKinds: [MODEL]) { node { id } } }')["search"]
    assert {h["node"]["id"] for h in models} == {"a1", "a5"}


def test_search_text_is_words_not_query_syntax(world):
    # Lucene operators in user text must neither fail nor widen the match.
    for text in ['churn" OR *:*', "name:(", "\\", "a5) OR (", "*"]:
        body = gql(world, "query($t: String!) { search(text: $t) { node { id } } }", {"t": text})
        assert "errors" not in body, (text, body)


# Every successful mutation also writes an AuditEvent: counts of the graph's own nodes leave them out.
GRAPH_NODES = "MATCH (n) WHERE NOT n:AuditEvent RETURN count(n)"


def test_upsert_is_idempotent_and_partial(world, graph):
    before = count(graph, GRAPH_NODES)
    data(world, UPSERT_PROJECT, {"input": {"id": "p1", "name": "Project 1"}})
    data(world, UPSERT_PROJECT, {"input": {"id": "p1", "name": "Project 1"}})
    assert count(graph, GRAPH_NODES) == before
    kept = data(world, '{ project(id: "p1") { description } }')["project"]
    assert kept["description"] == "churn model number 1"  # left out = kept
    cleared = data(world, UPSERT_PROJECT, {"input": {"id": "p1", "name": "Project 1", "description": None}})
    assert cleared["upsertProject"]["description"] is None  # explicit null = cleared
    data(world, UPSERT_PROJECT, {"input": {"id": "p1", "name": "Project 1", "description": "churn model number 1"}})


def test_record_usage_repeated_keeps_one_edge_and_accumulates_kinds(world, graph):
    for kind in ("depends", "depends", "recommends"):
        data(world, RECORD_USAGE, {"input": {"projectId": "p1", "artifactId": "a6", "kind": kind, "count": 3}})
    assert count(graph, "MATCH (:Project {id:'p1'})-[r:USES]->(:Artifact {id:'a6'}) RETURN count(r)") == 1
    usage = data(world, '{ project(id: "p1") { uses(first: 10) { edges { node { id } usage { count kinds } } } } }')
    edge = next(e for e in usage["project"]["uses"]["edges"] if e["node"]["id"] == "a6")
    assert edge["usage"] == {"count": 3, "kinds": ["depends", "recommends"]}
    data(world, 'mutation { removeUsage(projectId: "p1", artifactId: "a6") { id } }')


@pytest.mark.parametrize(
    "mutation, code, field",
    [
        (
            'mutation { recordUsage(input: {projectId: "p1", artifactId: "ghost"}) { usage { count } } }',
            "NOT_FOUND",
            "artifactId",
        ),
        (
            'mutation { recordUsage(input: {projectId: "ghost", artifactId: "a1"}) { usage { count } } }',
            "NOT_FOUND",
            "projectId",
        ),
        (
            'mutation { addMember(personId: "ghost", projectId: "p1", role: OWNER) { membership { roles } } }',
            "NOT_FOUND",
            "personId",
        ),
        ('mutation { linkDerivation(artifactId: "a1", sourceId: "a1") { id } }', "BAD_USER_INPUT", "sourceId"),
        ('mutation { upsertProject(input: {id: "has space", name: "x"}) { id } }', "BAD_USER_INPUT", "id"),
        ('mutation { upsertProject(input: {id: "p9", name: "   "}) { id } }', "BAD_USER_INPUT", "name"),
        ('mutation { upsertPerson(input: {id: "u9", email: "not-an-email"}) { id } }', "BAD_USER_INPUT", "email"),
        (
            'mutation { recordUsage(input: {projectId: "p1", artifactId: "a1", count: -1}) { usage { count } } }',
            "BAD_USER_INPUT",
            "count",
        ),
        ('mutation { deleteArtifact(id: "ghost") { id } }', "NOT_FOUND", None),
        ('mutation { removeMember(personId: "u1", projectId: "p2") { id } }', "NOT_FOUND", None),
    ],
)
def test_bad_mutations_say_what_and_where_and_write_nothing(world, graph, mutation, code, field):
    before = (count(graph, "MATCH (n) RETURN count(n)"), count(graph, "MATCH ()-[r]->() RETURN count(r)"))
    error = error_of(world, mutation)
    assert error["extensions"]["code"] == code, error
    if field:
        assert error["extensions"]["field"] == field
    after = (count(graph, "MATCH (n) RETURN count(n)"), count(graph, "MATCH ()-[r]->() RETURN count(r)"))
    assert after == before


def test_page_size_is_bounded(world):
    error = error_of(world, "{ projects(first: 101) { totalCount } }")
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}
    error = error_of(world, '{ projects(after: "garbage") { totalCount } }')
    assert error["extensions"]["field"] == "after"
    nested = error_of(world, '{ project(id: "p1") { uses(first: 1000) { totalCount } } }')
    assert nested["extensions"]["code"] == "BAD_USER_INPUT"


def test_strings_reach_neo4j_as_values_not_cypher(world, graph):
    nasty = "x'}) MATCH (n) DETACH DELETE n //"
    before = count(graph, GRAPH_NODES)
    created = data(world, UPSERT_PROJECT, {"input": {"id": "inj", "name": nasty, "description": nasty}})
    assert created["upsertProject"]["name"] == nasty
    assert (
        data(world, "query($t: String) { projects(filter: {text: $t}) { totalCount } }", {"t": nasty})["projects"][
            "totalCount"
        ]
        == 1
    )
    assert count(graph, GRAPH_NODES) == before + 1
    data(world, 'mutation { deleteProject(id: "inj") { id } }')


def test_delete_removes_node_and_its_edges(world, graph):
    data(world, UPSERT_ARTIFACT, {"input": {"id": "tmp", "name": "tmp", "kind": "OTHER"}})
    data(world, RECORD_USAGE, {"input": {"projectId": "p1", "artifactId": "tmp"}})
    assert data(world, 'mutation { deleteArtifact(id: "tmp") { id } }') == {"deleteArtifact": {"id": "tmp"}}
    assert count(graph, "MATCH (a:Artifact {id: 'tmp'}) RETURN count(a)") == 0
    assert data(world, '{ project(id: "p1") { uses { totalCount } } }')["project"]["uses"]["totalCount"] == 2


NESTED = """{ projects(first: 50) { edges { node { id
  uses(first: 20) { edges { node { id usedBy(first: 5) { totalCount edges { node { id } } } } } }
  members { edges { node { id projects { totalCount } } } } } } } }"""


def test_round_trips_bounded_by_depth_not_rows(world):
    def round_trips() -> int:
        body = gql(world, NESTED)
        assert "errors" not in body
        return body["extensions"]["cypher"]["roundTrips"]

    small = round_trips()
    for i in range(5, 25):  # many more projects, uses and members
        data(world, UPSERT_PROJECT, {"input": {"id": f"bulk{i}", "name": f"Bulk {i}"}})
        for a in range(1, 7):
            data(world, RECORD_USAGE, {"input": {"projectId": f"bulk{i}", "artifactId": f"a{a}"}})
        data(world, ADD_MEMBER, {"person": f"u{i % 3 + 1}", "project": f"bulk{i}", "role": "VIEWER"})
    large = round_trips()
    # projects page + count, then one query per nested level: uses, members, usedBy, person.projects
    assert small == large <= 6


def test_health_and_readiness(world):
    assert world.get("/healthz").json() == {"status": "ok"}
    ready = world.get("/readyz")
    assert ready.status_code == 200 and ready.json()["neo4j"] == "ok"


def test_readiness_reports_pending_migrations(world, graph):
    graph.execute_query("MATCH (m:Migration {id: '0003'}) SET m.id = 'moved'")
    try:
        ready = world.get("/readyz")
        assert ready.status_code == 503 and ready.json()["pendingMigrations"] == ["0003"]
    finally:
        graph.execute_query("MATCH (m:Migration {id: 'moved'}) SET m.id = '0003'")


def test_graphiql_in_dev_only(world, neo4j_target):
    page = world.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    with make_client(neo4j_target, profile="production") as production:
        assert production.get("/graphql", headers={"Accept": "text/html"}).status_code != 200
        body = production.post("/graphql", json={"query": "{ __schema { types { name } } }"}).json()
        assert (body["errors"] and "data" not in body) or body.get("data") is None


def test_depth_limit(world):
    deep = (
        '{ project(id: "p1") { uses { edges { node { usedBy { edges { node { uses { edges { node {'
        " usedBy { edges { node { id } } } } } } } } } } } } } }"
    )
    body = gql(world, deep)
    assert body["errors"] and "depth" in body["errors"][0]["message"].lower()
