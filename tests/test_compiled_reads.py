"""A plain read is answered without a resolver per field (graphql/compiled_reads.py): the
answer must be byte for byte the one execution gives, and anything the compiled path does
not cover must still be executed.

Every document runs through two apps on the same graph, one with MAESTRO_GRAPHQL_COMPILED_READS
on and one with it off; the response bodies (data, errors and the round-trip count) are
compared as bytes."""

from __future__ import annotations

import runpy
from pathlib import Path

import graphql
import pytest
from conftest import access_token, bearer, make_client, register_client
from prometheus_client import REGISTRY
from test_graphql_prefetch import QUERIES as PREFETCH_QUERIES
from test_graphql_prefetch import SEED
from test_ui_documents import assembled, operation_files

ROOT = Path(__file__).resolve().parents[1]
REPRESENTATIVE = runpy.run_path(str(ROOT / "bench" / "representative_queries.py"))["CASES"]

# Values the relation pages' seed leaves out: texts, tags, dates, outcomes, hashes, some null.
DETAILS = """
MATCH (p:Project) WHERE p.id IN ['p1', 'p2', 'p4']
SET p.description = 'the ' + p.name + ' description', p.tags = ['nlp', p.id], p.status = 'active',
    p.success = p.id <> 'p2', p.created_at = datetime('2024-0' + substring(p.id, 1) + '-02T10:20:30.123456Z')
WITH count(*) AS _
MATCH (a:Artifact) WHERE a.id IN ['a1', 'a2', 'a3']
SET a.version = '1.' + substring(a.id, 1), a.uri = 'https://example.org/' + a.id, a.section = 'ml',
    a.created_at = datetime('2023-11-0' + substring(a.id, 1) + 'T00:00:00Z'), a.description = 'about ' + a.name
WITH count(*) AS _
MATCH (h:Person) WHERE h.id IN ['h1', 'h3']
SET h.email_hash = 'hash-of-' + h.id, h.created_at = datetime('2022-05-06T07:08:09+02:00')
WITH count(*) AS _
MATCH (t:Team {id: 't1'}) SET t.description = 'the first team'
WITH count(*) AS _
MATCH ()-[u:USES]->(:Artifact {id: 'a2'}) SET u.context = 'training', u.first_used = datetime('2024-01-01T00:00:00Z'),
    u.last_used = datetime('2024-06-30T12:00:00Z')
WITH count(*) AS _
MATCH (:Person {id: 'h1'})-[m:MEMBER_OF]->()
SET m.since = datetime('2021-03-04T05:06:07Z'), m.roles = ['owner', 'maintainer']
"""

PAGE = "totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id name } }"

# Documents with the variables to run them with, each expected to be compiled (True) or executed.
EDGE_CASES: dict[str, tuple[str, dict, bool]] = {
    "every scalar of a project": (
        """query($id: ID!) { project(id: $id) { __typename id name description status section tags success
             createdAt } }""",
        {"id": "p1"},
        True,
    ),
    "nulls and an empty list": ("""{ project(id: "p3") { id description tags success createdAt status } }""", {}, True),
    "every scalar of an artifact, person and team": (
        """{ artifact(id: "a2") { id name kind version uri description section createdAt }
             person(id: "h1") { id name kind emailHash createdAt }
             team(id: "t1") { id name description createdAt } }""",
        {},
        True,
    ),
    "a missing id": ("""{ project(id: "nope") { id uses { totalCount } } team(id: "") { id } }""", {}, True),
    "aliases at every level": (
        """{ first: project(id: "p1") { key: id label: name
               used: uses(first: 2) { n: totalCount
                 e: edges { c: cursor n: node { i: id k: kind } u: usage { k: kinds } } }
               alsoUsed: uses(first: 2) { totalCount } }
             second: project(id: "p2") { id } }""",
        {},
        True,
    ),
    "the same field twice, merged": (
        """{ project(id: "p1") { id name uses(first: 2) { totalCount } uses(first: 2) { edges { node { id } } } } }""",
        {},
        True,
    ),
    "fragments and inline fragments": (
        """fragment Names on Node { __typename id name }
           fragment Used on ProjectUsesConnection { totalCount edges { node { ...Names ... on Artifact { kind } } } }
           query($id: ID!) { project(id: $id) { ...Names ... on Project { section uses(first: 3) { ...Used } }
             ... { tags } } }""",
        {"id": "p1"},
        True,
    ),
    "skip and include on scalars": (
        """query($yes: Boolean!, $no: Boolean!) { project(id: "p1") { id name @include(if: $yes)
             section @include(if: $no) description @skip(if: $yes) tags @skip(if: $no) } }""",
        {"yes": True, "no": False},
        True,
    ),
    "skip and include on a whole root field": (
        """query($yes: Boolean!) { a: project(id: "p1") @skip(if: $yes) { id } b: team(id: "t1") @include(if: $yes)
             { id } }""",
        {"yes": True},
        True,
    ),
    "a directive on a page: its resolver reads it": (
        """query($with: Boolean!) { project(id: "p2") { id members @include(if: $with) { totalCount } } }""",
        {"with": True},
        False,
    ),
    "a page a directive leaves out is not read at all": (
        """query($with: Boolean!) { project(id: "p2") { id members @include(if: $with) { totalCount } } }""",
        {"with": False},
        True,
    ),
    "an empty page, and a page past the end": (
        """{ project(id: "p3") { none: uses(first: 0) { %s } past: uses(first: 5, after: "b2Zmc2V0Ojk5") { %s } } }"""
        % (PAGE, PAGE),
        {},
        True,
    ),
    "pages after a cursor, with relationship properties": (
        """{ artifact(id: "a2") { usedBy(first: 2, after: "b2Zmc2V0OjA=") { %s edges { usage { count kinds context
             firstUsed lastUsed } } } } person(id: "h1") { projects { edges { membership { roles since } } } } }"""
        % PAGE,
        {},
        True,
    ),
    "two levels with variables for page sizes": (
        """query($n: Int, $m: Int) { person(id: "h1") { teams(first: $n) { %s edges { node { members(first: $m)
             { %s edges { node { id kind projects(first: 1) { totalCount } } } } } } } } }"""
        % (PAGE, PAGE),
        {"n": 2, "m": 3},
        True,
    ),
    "listings with filters and orders": (
        """query($s: String, $o: OrderBy) { projects(first: 3, filter: {section: $s}, orderBy: $o) { %s
               edges { node { section tags } } }
             artifacts(filter: {kinds: [LIBRARY]}, orderBy: {field: ID, direction: DESC}) { totalCount edges { node
               { id kind } } }
             people(first: 2, after: "b2Zmc2V0OjA=") { %s } teams { edges { node { __typename id } } } }"""
        % (PAGE, PAGE),
        {"s": "even", "o": {"field": "NAME", "direction": "DESC"}},
        True,
    ),
    "a listing matching nothing": (
        """{ projects(filter: {section: "no such section"}) { %s } }""" % PAGE,
        {},
        True,
    ),
    "search through the Node interface": (
        """query($t: String!) { search(text: $t, first: 4) { score node { __typename id name ... on Project {
             section success } ... on Artifact { kind } ... on Person { kind } } } }""",
        {"t": "project"},
        True,
    ),
    "search without hits, and without words": (
        """{ none: search(text: "zzzzqqq") { score } empty: search(text: "  ") { score } }""",
        {},
        True,
    ),
    "__typename alone": ("""{ __typename t: __typename }""", {}, True),
    "a page under a listing is read level by level": (
        """{ projects(first: 2) { edges { node { id uses(first: 1) { totalCount } } } } }""",
        {},
        False,
    ),
    "a field with a resolver of its own": (
        """{ artifact(id: "a2") { id deprecation { reason } } }""",
        {},
        False,
    ),
    "introspection": ("""{ __schema { queryType { name } } }""", {}, False),
    "an invalid page size is an error": ("""{ project(id: "p1") { uses(first: -1) { totalCount } } }""", {}, False),
    "an invalid cursor is an error": ("""{ projects(after: "not a cursor") { totalCount } }""", {}, False),
    "a missing variable is an error": ("""query($id: ID!) { project(id: $id) { id } }""", {}, False),
    "a mutation": ("""mutation { upsertProject(input: {id: "p1", name: "project 6"}) { id name } }""", {}, False),
}

# The representative reads of bench/graphql_vs_cypher.py, with variables for this graph.
REPRESENTATIVE_VARIABLES = {"project": {"id": "p1"}, "artifact": {"id": "a2"}, "section": {"section": "odd"}}

# Root field -> id of the seed that an Explorer document's $id names.
EXPLORER_IDS = {"project": "p1", "artifact": "a2", "person": "h1", "team": "t1"}


# A model's answer, executed either way like every other one, that takes seconds to work out.
SLOW = {"ComposeTeam"}


def explorer_reads() -> dict[str, tuple[str, dict]]:
    """The Explorer's query documents that read the graph, with variables for this graph."""
    reads = {}
    for path in operation_files():
        if path.stem in SLOW:
            continue
        text = assembled(path)
        operation = next(d for d in graphql.parse(text).definitions if isinstance(d, graphql.OperationDefinitionNode))
        if operation.operation != graphql.OperationType.QUERY:
            continue
        root = next(s.name.value for s in operation.selection_set.selections if isinstance(s, graphql.FieldNode))
        variables: dict = {}
        for definition in operation.variable_definitions:
            name = definition.variable.name.value
            if name == "id":
                variables[name] = EXPLORER_IDS.get(root, "p1")
            elif name == "first":
                variables[name] = 3
            elif name == "text":
                variables[name] = "project"
        reads[path.stem] = (text, variables)
    return reads


EXPLORER = explorer_reads()
# The Explorer's documents the compiled path answers (the others have fields with resolvers
# of their own: models' answers, impact, metrics, the viewer, or pages under a listing).
EXPLORER_COMPILED = {
    "ArtifactCreators",
    "ArtifactNeighbourhood",
    "ArtifactUsedBy",
    "Derivatives",
    "DerivedFrom",
    "Person",
    "PersonCreated",
    "PersonNeighbourhood",
    "PersonProjects",
    "PersonTeams",
    "ProjectMembers",
    "ProjectNeighbourhood",
    "ProjectUses",
    "Search",
    "Team",
    "TeamMembers",
    "TeamNeighbourhood",
}


@pytest.fixture(scope="module")
def clients(graph, neo4j_target):
    graph.execute_query(SEED, database_=neo4j_target.database)
    graph.execute_query(DETAILS, database_=neo4j_target.database)
    with (
        make_client(neo4j_target, graphql_compiled_reads=True) as compiled,
        make_client(neo4j_target, graphql_compiled_reads=False) as executed,
    ):
        yield compiled, executed


def _compiled_count() -> float:
    return REGISTRY.get_sample_value("maestro_graphql_compiled_reads_total", {"path": "compiled"}) or 0.0


def both_ways(clients, query: str, variables: dict, **kwargs) -> tuple[bytes, bool]:
    """The compiled app's answer, after checking it is the executing app's byte for byte; and
    whether the compiled path answered it."""
    compiled, executed = clients
    body = {"query": query, "variables": variables}
    before = _compiled_count()
    first = compiled.post("/graphql", json=body, **kwargs)
    answered = _compiled_count() > before
    second = executed.post("/graphql", json=body, **kwargs)
    assert first.status_code == second.status_code
    assert first.content == second.content
    return first.content, answered


@pytest.mark.parametrize("case", list(REPRESENTATIVE))
def test_the_representative_reads_are_compiled_and_answer_alike(clients, case):
    query, _, kind = REPRESENTATIVE[case]
    content, answered = both_ways(clients, query, REPRESENTATIVE_VARIABLES.get(kind, {"text": "project"}))
    assert b'"errors"' not in content and b"null" not in content, content
    assert answered


@pytest.mark.parametrize("name", list(EDGE_CASES))
def test_edge_cases_answer_alike(clients, name):
    query, variables, compiled = EDGE_CASES[name]
    _, answered = both_ways(clients, query, variables)
    assert answered is compiled


@pytest.mark.parametrize("name", list(PREFETCH_QUERIES))
def test_the_prefetch_documents_answer_alike(clients, name):
    query, variables, _ = PREFETCH_QUERIES[name]
    both_ways(clients, query, variables)


@pytest.mark.parametrize("name", list(EXPLORER))
def test_the_explorers_reads_answer_alike(clients, name):
    query, variables = EXPLORER[name]
    _, answered = both_ways(clients, query, variables)
    assert answered is (name in EXPLORER_COMPILED)


def test_only_admins_read_email_hashes_on_the_compiled_path_too(clients, neo4j_target):
    compiled, _ = clients
    reader = access_token(compiled, register_client(neo4j_target, "compiled-reader", "read"))
    query = """{ person(id: "h1") { emailHash projects(first: 1) { edges { node { id } } } }
                 people(first: 2) { edges { node { id emailHash } } } }"""
    content, answered = both_ways(clients, query, {}, **bearer(reader))
    assert answered and b"hash-of" not in content
    content, answered = both_ways(clients, query, {})  # loopback in the dev profile: an admin
    assert answered and b"hash-of-h1" in content


def test_the_setting_off_executes_everything(clients):
    _, executed = clients
    before = REGISTRY.get_sample_value("maestro_graphql_compiled_reads_total", {"path": "executed"}) or 0.0
    compiled_before = _compiled_count()
    executed.post("/graphql", json={"query": '{ project(id: "p1") { id } }'})
    assert _compiled_count() == compiled_before
    assert (REGISTRY.get_sample_value("maestro_graphql_compiled_reads_total", {"path": "executed"}) or 0.0) == before


def test_a_document_compiled_once_answers_every_variant_of_its_variables(clients):
    """The compiled operation is kept per document and values of the variables its shape
    uses: other ids reuse it, other directive conditions and page sizes get their own."""
    query = """query($id: ID!, $n: Int, $yes: Boolean!) { person(id: $id) { id name @include(if: $yes)
                 projects(first: $n) { totalCount edges { node { id section @skip(if: $yes) } } } } }"""
    for variables in (
        {"id": "h1", "n": 2, "yes": True},
        {"id": "h2", "n": 2, "yes": True},
        {"id": "h3", "n": 1, "yes": True},
        {"id": "h1", "n": 2, "yes": False},
        {"id": "nobody", "n": 2, "yes": False},
        {"id": "h1", "n": -1, "yes": False},
        {"id": "h4", "n": 3, "yes": True},
    ):
        _, answered = both_ways(clients, query, variables)
        assert answered is (variables["n"] >= 0)
    listing = """query($f: ProjectFilter, $o: OrderBy, $t: String!) { projects(first: 2, filter: $f, orderBy: $o) {
                   totalCount edges { node { id section } } } search(text: $t, first: 2) { node { id } } }"""
    for variables in (
        {"f": {"section": "even"}, "o": {"field": "NAME"}, "t": "project"},
        {"f": {"section": "odd"}, "o": {"field": "NAME"}, "t": "artifact"},
        {"f": {"section": "even"}, "o": {"field": "NAME"}, "t": "project"},
        {"f": {"tags": ["nlp"]}, "o": {"field": "ID", "direction": "DESC"}, "t": "team"},
        {"f": None, "o": None, "t": "project"},
    ):
        _, answered = both_ways(clients, listing, variables)
        assert answered


def test_the_cost_limit_is_checked_before_a_read_is_compiled(clients, neo4j_target):
    query = '{ project(id: "p1") { uses(first: 50) { edges { node { id } } } } }'
    with make_client(neo4j_target, max_query_cost=10) as limited:
        before = _compiled_count()
        body = limited.post("/graphql", json={"query": query}).json()
        assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
        assert _compiled_count() == before


# Listings, search hits and prefetched neighbours carry only the properties the operation
# selects; a field with a resolver of its own that reads the row (deprecation) gets it whole.
PROJECTED = {
    "a listing": """{ projects(first: 4, orderBy: {field: CREATED_AT, direction: DESC}) { edges { node {
                      id createdAt tags success } } } }""",
    "a listing through a fragment on Node": """fragment N on Node { name } { artifacts { edges { node { ...N version
                      uri } } } people { edges { node { ...N kind emailHash } } } }""",
    "search hits of every kind": """{ search(text: "project artifact person team", first: 30) { score node {
                      __typename id ... on Project { description createdAt } ... on Artifact { kind createdAt }
                      ... on Person { createdAt } ... on Team { description } } } }""",
    "deprecation under a page and a listing": """{ project(id: "p2") { uses { edges { node { id
                      deprecation { reason deprecatedAt } } } } } artifacts { edges { node { id
                      deprecation { reason } } } } }""",
}


@pytest.mark.parametrize("name", list(PROJECTED))
def test_projected_rows_answer_as_whole_rows_do(clients, neo4j_target, graph, name):
    compiled, _ = clients
    graph.execute_query(
        "MATCH (a:Artifact {id: 'a2'}) SET a.deprecated_at = datetime('2024-02-03T04:05:06Z'), "
        "a.deprecation_reason = 'superseded'",
        database_=neo4j_target.database,
    )
    try:
        with make_client(neo4j_target, graphql_prefetch=False, graphql_compiled_reads=False) as whole:
            first = compiled.post("/graphql", json={"query": PROJECTED[name]}).json()
            second = whole.post("/graphql", json={"query": PROJECTED[name]}).json()
    finally:
        graph.execute_query(
            "MATCH (a:Artifact {id: 'a2'}) REMOVE a.deprecated_at, a.deprecation_reason",
            database_=neo4j_target.database,
        )
    assert "errors" not in first, first
    assert first["data"] == second["data"]
    if name.startswith("deprecation"):
        assert "superseded" in str(first["data"])
