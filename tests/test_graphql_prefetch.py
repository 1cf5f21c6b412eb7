"""A node fetched by id comes with the relation pages selected under it in one query; the
answers must be exactly those of the level-by-level DataLoaders, only with fewer round trips."""

from __future__ import annotations

import pytest
from conftest import gql, make_client

# Several projects share artifacts and people, so pages overlap across parents.
SEED = """
UNWIND range(1, 6) AS i
CREATE (:Project {id: 'p' + i, name: 'project ' + (7 - i), section: CASE WHEN i % 2 = 0 THEN 'even' ELSE 'odd' END})
WITH count(*) AS _
UNWIND range(1, 8) AS i
CREATE (:Artifact {id: 'a' + i, name: 'artifact ' + (i % 3), kind: 'library'})
WITH count(*) AS _
UNWIND range(1, 5) AS i
CREATE (:Person {id: 'h' + i, name: 'person ' + i, kind: 'person'})
WITH count(*) AS _
CREATE (:Team {id: 't1', name: 'team one'})
WITH count(*) AS _
MATCH (p:Project), (a:Artifact)
WHERE (toInteger(substring(p.id, 1)) + toInteger(substring(a.id, 1))) % 3 <> 0
CREATE (p)-[:USES {kinds: ['depends'], count: toInteger(substring(a.id, 1))}]->(a)
WITH count(*) AS _
MATCH (h:Person), (p:Project)
WHERE (toInteger(substring(h.id, 1)) * toInteger(substring(p.id, 1))) % 4 < 2
CREATE (h)-[:MEMBER_OF {roles: ['maintainer']}]->(p)
WITH count(*) AS _
MATCH (h:Person), (a:Artifact) WHERE toInteger(substring(a.id, 1)) % 5 = toInteger(substring(h.id, 1)) % 5
CREATE (h)-[:CREATED]->(a)
WITH count(*) AS _
MATCH (a:Artifact), (b:Artifact) WHERE toInteger(substring(b.id, 1)) = toInteger(substring(a.id, 1)) + 1
CREATE (b)-[:DERIVED_FROM]->(a)
WITH count(*) AS _
MATCH (h:Person), (t:Team) WHERE h.id IN ['h1', 'h2', 'h4'] CREATE (h)-[:IN_TEAM]->(t)
"""

EDGE_FIELDS = (
    "totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id name } }"
)

QUERIES = {
    "project with uses and members": (
        """query($id: ID!) { project(id: $id) { id name
             uses(first: 3) { totalCount edges { cursor node { id name kind } usage { kinds count } } }
             members { totalCount edges { node { id kind } membership { roles } } } } }""",
        {"id": "p1"},
        1,
    ),
    "two levels, variables for page sizes": (
        """query($id: ID!, $n: Int, $m: Int) { artifact(id: $id) { id
             usedBy(first: $n) { totalCount edges { node { id name
               uses(first: $m) { %s } members(first: 2) { %s } } } } } }"""
        % (EDGE_FIELDS, EDGE_FIELDS),
        {"id": "a2", "n": 4, "m": 2},
        1,
    ),
    "three levels through fragments and aliases": (
        """fragment P on Project { id uses(first: 2) { edges { node { ...A } } } }
           fragment A on Artifact { id creators { edges { node { id name } } } }
           query($id: ID!) { person(id: $id) {
             early: projects(first: 2) { edges { node { ...P } } }
             same: projects(first: 2) { totalCount edges { node { ... on Project { name } } } }
             later: projects(first: 2, after: "b2Zmc2V0OjE=") { edges { cursor node { id } } }
             created { %s } teams { edges { node { id members { %s } } } } } }"""
        % (EDGE_FIELDS, EDGE_FIELDS),
        {"id": "h1"},
        1,
    ),
    "lineage both ways": (
        """{ artifact(id: "a4") { derivedFrom { edges { node { id derivedFrom { %s } } } }
             derivatives { edges { node { id derivatives { %s } } } } } }"""
        % (EDGE_FIELDS, EDGE_FIELDS),
        {},
        1,
    ),
    "team members and their projects": (
        """{ team(id: "t1") { name members(first: 2) { totalCount edges { node { id
             projects(first: 1) { %s } } } } } }"""
        % EDGE_FIELDS,
        {},
        1,
    ),
    "a directive leaves its field to the resolver": (
        """query($with: Boolean!) { project(id: "p2") { id uses(first: 2) { totalCount }
             members @include(if: $with) { totalCount edges { node { id } } } } }""",
        {"with": True},
        2,
    ),
    "the same page under two aliases, different fields read": (
        """{ a: project(id: "p1") { uses { edges { node { id } } } }
             b: project(id: "p1") { uses { edges { node { name kind createdAt } usage { count } } } } }""",
        {},
        2,
    ),
    "a directive inside a page's node": (
        """query($with: Boolean!) { project(id: "p5") { uses { edges { node { id name @include(if: $with) } } } } }""",
        {"with": True},
        1,
    ),
    "fields through the Node interface": (
        """{ person(id: "h2") { projects { edges { node { ... on Node { name } section } } } } }""",
        {},
        1,
    ),
    "a missing node": ("""{ project(id: "nope") { id uses { totalCount } } }""", {}, 1),
    "an empty page": ("""{ project(id: "p3") { uses(first: 0) { totalCount edges { node { id } } } } }""", {}, 1),
    "no relations selected": ("""{ project(id: "p4") { id name section } }""", {}, 1),
}


@pytest.fixture(scope="module")
def clients(graph, neo4j_target):
    graph.execute_query(SEED, database_=neo4j_target.database)
    with make_client(neo4j_target) as planned, make_client(neo4j_target, graphql_prefetch=False) as levelled:
        yield planned, levelled


@pytest.mark.parametrize("name", list(QUERIES))
def test_prefetched_answers_equal_the_level_by_level_answers(clients, name):
    planned, levelled = clients
    query, variables, expected_trips = QUERIES[name]
    with_plan, without = gql(planned, query, variables), gql(levelled, query, variables)
    assert "errors" not in with_plan, with_plan
    assert with_plan["data"] == without["data"]
    assert with_plan["extensions"]["cypher"]["roundTrips"] == expected_trips
    assert without["extensions"]["cypher"]["roundTrips"] >= expected_trips


def test_the_seed_gives_the_pages_something_to_show(clients):
    planned, _ = clients
    body = gql(
        planned, QUERIES["two levels, variables for page sizes"][0], QUERIES["two levels, variables for page sizes"][1]
    )
    users = body["data"]["artifact"]["usedBy"]["edges"]
    assert len(users) >= 2 and all(user["node"]["uses"]["edges"] for user in users)
    assert any(user["node"]["members"]["totalCount"] > 0 for user in users)


def test_bad_page_arguments_are_reported_as_before(clients):
    planned, levelled = clients
    query = """{ project(id: "p1") { uses(first: -1) { totalCount } members(after: "garbage") { totalCount } } }"""
    with_plan, without = gql(planned, query), gql(levelled, query)
    assert with_plan["errors"] and with_plan["errors"] == without["errors"]
    assert with_plan["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}


def test_a_plan_too_large_is_cut_to_its_budget_with_the_same_answer(clients):
    planned, levelled = clients
    # 70 + 70^2 + 70^3 rows in the worst case: over the budget, so the deepest level is left to the loaders.
    query = """{ project(id: "p1") { uses(first: 70) { edges { node { id usedBy(first: 70) { edges { node { id
                 members(first: 70) { totalCount } } } } } } } } }"""
    with_plan, without = gql(planned, query), gql(levelled, query)
    assert with_plan["data"] == without["data"]
    assert with_plan["extensions"]["cypher"]["roundTrips"] == 2
    assert without["extensions"]["cypher"]["roundTrips"] == 4


def test_neighbour_projections_are_plain_property_names_only():
    from maestro_graph.repositories.neighbourhood import PagePlan, neighbourhood_query

    plans = [PagePlan("project_uses", 0, 5)]
    query, params = neighbourhood_query("Project", plans, {"Artifact": ("name", "kind")})
    assert "n1 {.id, .kind, .name}" in query and params == {"skip1": 0, "limit1": 5}
    for bad in ("name} DETACH DELETE n1 //", "Name", "na me", ""):
        with pytest.raises(ValueError):
            neighbourhood_query("Project", plans, {"Artifact": (bad,)})
    with pytest.raises(ValueError):
        neighbourhood_query("Project", [PagePlan("uses; DROP", 0, 5)])
    with pytest.raises(ValueError):
        neighbourhood_query("Project) DETACH DELETE (x", plans)
