"""The audit trail: one AuditEvent per successful mutation, written in the mutation's own
transaction, never for a failed one; and the admins' `auditEvents` query."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from conftest import access_token, bearer, count, data, register_client

EVENTS = "MATCH (e:AuditEvent) RETURN count(e)"
LATEST = """MATCH (e:AuditEvent) WITH e ORDER BY e.at DESC, e.id DESC LIMIT 1
RETURN e.action AS action, e.actor AS actor, e.client_id AS client_id, e.person_id AS person_id,
       e.targets AS targets, e.changed AS changed"""

# Every mutation of the schema, in an order where each finds what it needs.
STEPS = [
    (
        'upsertPerson(input: {id: "au", name: "U", email: "u@example.org"}) { id }',
        ["au"],
        ["email_hash", "kind", "name"],
    ),
    ('upsertProject(input: {id: "ap", name: "A", description: "d"}) { id }', ["ap"], ["description", "name"]),
    ('upsertArtifact(input: {id: "aa", name: "Base", kind: MODEL}) { id }', ["aa"], ["kind", "name"]),
    (
        'upsertArtifact(input: {id: "ab", name: "Tuned", kind: MODEL, version: "2"}) { id }',
        ["ab"],
        ["kind", "name", "version"],
    ),
    ('upsertTeam(input: {id: "at", name: "T"}) { id }', ["at"], ["name"]),
    (
        'recordUsage(input: {projectId: "ap", artifactId: "aa", kind: "depends", count: 2}) { usage { count } }',
        ["ap", "aa"],
        ["count", "kind"],
    ),
    ('addMember(personId: "au", projectId: "ap", role: MAINTAINER) { membership { roles } }', ["au", "ap"], ["role"]),
    ('linkDerivation(artifactId: "ab", sourceId: "aa") { id }', ["ab", "aa"], []),
    ('addCreator(personId: "au", artifactId: "aa") { id }', ["au", "aa"], []),
    ('addTeamMember(personId: "au", teamId: "at") { id }', ["au", "at"], []),
    (
        'deprecateArtifact(id: "aa", reason: "superseded", replacementId: "ab") { id }',
        ["aa", "ab"],
        ["deprecated_at", "deprecation_reason", "replaced_by"],
    ),
    ('undeprecateArtifact(id: "aa") { id }', ["aa"], ["deprecated_at", "deprecation_reason", "replaced_by"]),
    # A bulk write of one item: one event, action the bulk mutation's name.
    ('upsertPeople(inputs: [{id: "bu", name: "B"}]) { written }', ["bu"], ["kind", "name"]),
    ('upsertProjects(inputs: [{id: "bp", name: "BP"}]) { written }', ["bp"], ["name"]),
    ('upsertArtifacts(inputs: [{id: "ba", name: "BA", kind: DATASET}]) { written }', ["ba"], ["kind", "name"]),
    ('recordUsages(inputs: [{projectId: "bp", artifactId: "ba", count: 3}]) { written }', ["bp", "ba"], ["count"]),
    ('addMembers(inputs: [{personId: "bu", projectId: "bp", role: OWNER}]) { written }', ["bu", "bp"], ["role"]),
    ('removeUsage(projectId: "ap", artifactId: "aa") { id }', ["ap", "aa"], []),
    ('removeMember(personId: "au", projectId: "ap") { id }', ["au", "ap"], []),
    ('unlinkDerivation(artifactId: "ab", sourceId: "aa") { id }', ["ab", "aa"], []),
    ('removeCreator(personId: "au", artifactId: "aa") { id }', ["au", "aa"], []),
    ('removeTeamMember(personId: "au", teamId: "at") { id }', ["au", "at"], []),
    ('deleteProject(id: "ap") { id }', ["ap"], []),
    ('deleteArtifact(id: "ab") { id }', ["ab"], []),
    ('deletePerson(id: "au") { id }', ["au"], []),
    ('deleteTeam(id: "at") { id }', ["at"], []),
]


@pytest.fixture(scope="module")
def admin(production, graph, neo4j_target):
    graph.execute_query("MERGE (:Person {id: 'auditor'})")
    credentials = register_client(neo4j_target, "auditor", "read write admin", person="auditor")
    return {"token": access_token(production, credentials), "client_id": credentials["client_id"]}


def test_every_mutation_writes_one_event_with_who_what_and_which(production, graph, admin):
    # The graph's writes; the webhooks' own (createWebhook …) are checked in test_outgoing_webhooks.
    from maestro_graph.graphql.outgoing_webhooks import WebhookMutation
    from maestro_graph.graphql.schema import Mutation

    def names(kind) -> set[str]:
        return {field.python_name for field in kind.__strawberry_definition__.fields}

    schema_mutations = names(Mutation) - names(WebhookMutation)
    covered = {step[0].split("(")[0] for step in STEPS}
    assert len(covered) == len(schema_mutations), "every mutation needs an audit step"
    for mutation, targets, changed in STEPS:
        before = count(graph, EVENTS)
        data(production, "mutation { " + mutation + " }", **bearer(admin["token"]))
        assert count(graph, EVENTS) == before + 1, mutation
        event = graph.execute_query(LATEST).records[0].data()
        assert event == {
            "action": mutation.split("(")[0],
            "actor": "person:auditor",
            "client_id": admin["client_id"],
            "person_id": "auditor",
            "targets": targets,
            "changed": changed,
        }, mutation


def test_events_name_fields_never_values(graph):
    stored = json.dumps(
        [r.data() for r in graph.execute_query("MATCH (e:AuditEvent) RETURN e {.*} AS e").records], default=str
    )
    assert "u@example.org" not in stored and "Tuned" not in stored


@pytest.mark.parametrize(
    "mutation",
    [
        'deleteArtifact(id: "ghost") { id }',
        'recordUsage(input: {projectId: "ghost", artifactId: "aa"}) { usage { count } }',
        'upsertProject(input: {id: "has space", name: "x"}) { id }',
        'removeMember(personId: "auditor", projectId: "nowhere") { id }',
    ],
)
def test_failed_mutations_write_no_event(production, graph, admin, mutation):
    before = count(graph, EVENTS)
    body = production.post("/graphql", json={"query": "mutation { " + mutation + " }"}, **bearer(admin["token"])).json()
    assert body["errors"]
    assert count(graph, EVENTS) == before


def test_refused_mutations_write_no_event(production, graph, neo4j_target):
    reader = access_token(production, register_client(neo4j_target, "reader", "read"))
    before = count(graph, EVENTS)
    body = production.post(
        "/graphql", json={"query": 'mutation { upsertTeam(input: {id: "nope", name: "n"}) { id } }'}, **bearer(reader)
    ).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert count(graph, EVENTS) == before


AUDIT = """query($filter: AuditEventFilter, $first: Int, $after: String) {
  auditEvents(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { action actor clientId personId targets changedFields at } } } }"""


def events(production, token, **variables):
    return data(production, AUDIT, variables, **bearer(token))["auditEvents"]


def test_admins_filter_the_trail(production, admin):
    token = admin["token"]
    everything = events(production, token, first=100)
    times = [e["node"]["at"] for e in everything["edges"]]
    assert times == sorted(times, reverse=True), "newest first"
    assert events(production, token, filter={"action": "deletePerson"})["totalCount"] == 1
    assert events(production, token, filter={"targetId": "au"})["totalCount"] == 8
    assert events(production, token, filter={"actor": "person:auditor", "action": "addMember"})["totalCount"] == 1
    assert events(production, token, filter={"clientId": admin["client_id"]})["totalCount"] >= len(STEPS)
    assert events(production, token, filter={"actor": "person:nobody"})["totalCount"] == 0
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert events(production, token, filter={"since": future})["totalCount"] == 0
    assert events(production, token, filter={"until": future})["totalCount"] == everything["totalCount"]


def test_trail_pages_walk_every_event_once(production, admin):
    seen, after = [], None
    while True:
        page = events(production, admin["token"], first=7, after=after, filter={"clientId": admin["client_id"]})
        seen += [(e["node"]["at"], e["node"]["action"], tuple(e["node"]["targets"])) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == page["totalCount"]


def test_trail_filters_are_values_not_cypher(production, admin, graph):
    before = count(graph, EVENTS)
    for nasty in ["x' OR 1=1 //", "') MATCH (n) DETACH DELETE n //", "*", "\\"]:
        for field in ("actor", "clientId", "action", "targetId"):
            assert events(production, admin["token"], filter={field: nasty})["totalCount"] == 0
    assert count(graph, EVENTS) == before
    too_long = production.post(
        "/graphql", json={"query": AUDIT, "variables": {"filter": {"actor": "x" * 301}}}, **bearer(admin["token"])
    ).json()
    assert too_long["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "filter.actor"}


def test_event_and_change_share_one_transaction(production, graph, admin):
    # Make the audit write fail (a uniqueness rule no second event of this caller can
    # meet), and the change it records must not land either. Last in the module: it
    # clears the trail to set the rule up.
    graph.execute_query("MATCH (e:AuditEvent) DETACH DELETE e")
    graph.execute_query(
        "CREATE CONSTRAINT tmp_audit_person IF NOT EXISTS FOR (e:AuditEvent) REQUIRE e.person_id IS UNIQUE"
    )
    try:
        data(production, 'mutation { upsertTeam(input: {id: "tx-1", name: "first"}) { id } }', **bearer(admin["token"]))
        body = production.post(
            "/graphql",
            json={"query": 'mutation { upsertTeam(input: {id: "tx-2", name: "second"}) { id } }'},
            **bearer(admin["token"]),
        ).json()
        assert body["errors"] and body["data"] == {"upsertTeam": None}
        assert count(graph, "MATCH (t:Team {id: 'tx-2'}) RETURN count(t)") == 0
        assert count(graph, "MATCH (t:Team {id: 'tx-1'}) RETURN count(t)") == 1
    finally:
        graph.execute_query("DROP CONSTRAINT tmp_audit_person IF EXISTS")
