"""Hostile and careless requests to /graphql in the production profile: mutation documents
mixing allowed and forbidden fields, forged cursors, Lucene syntax in search text, what the
log keeps of a refused request, and who may read a person's email hash."""

from __future__ import annotations

import base64
import json
import logging

import pytest
from conftest import access_token, bearer, count, data, register_client
from strawberry.permission import PermissionExtension

from maestro_graph.auth.permissions import Rule
from maestro_graph.graphql.pagination import MAX_OFFSET, decode_cursor, encode_cursor
from maestro_graph.graphql.schema import Mutation

EMAIL = "alice.example@example.org"


@pytest.fixture(scope="module")
def tokens(production, graph, neo4j_target):
    """An admin, a writer acting as u-writer (viewer on p-shared), and a reader; some nodes to aim at."""
    admin = access_token(production, register_client(neo4j_target, "admin", "read write admin"))
    data(
        production,
        'mutation { upsertPerson(input: {id: "u-writer", name: "Writer"}) { id } '
        'upsertProject(input: {id: "p-shared", name: "Shared"}) { id } '
        'addMember(personId: "u-writer", projectId: "p-shared", role: VIEWER) { membership { roles } } '
        'upsertArtifact(input: {id: "a-base", name: "Base", kind: MODEL}) { id } }',
        **bearer(admin),
    )
    return {
        "admin": admin,
        "writer": access_token(production, register_client(neo4j_target, "writer", "read write", "u-writer")),
        "reader": access_token(production, register_client(neo4j_target, "reader", "read")),
    }


def post(client, token: str, query: str, variables: dict | None = None) -> dict:
    # Encoded here, ASCII only, so that a lone surrogate in a value travels as JSON's \uXXXX escape.
    body = json.dumps({"query": query, "variables": variables or {}})
    headers = {"Content-Type": "application/json", **bearer(token)["headers"]}
    response = client.post("/graphql", content=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def events_for(graph, target: str) -> int:
    return count(graph, "MATCH (e:AuditEvent) WHERE $t IN e.targets RETURN count(e)", t=target)


# --- a mutation document is authorized as a whole ---------------------------------------------

FIRST = 'first: upsertArtifact(input: {id: "mm-artifact", name: "Mm", kind: MODEL}) { id }'
TYPE = "__typename"


@pytest.mark.parametrize(
    "query",
    [
        # the second field needs admin
        f'mutation {{ {FIRST} second: upsertPerson(input: {{id: "mm-person"}}) {{ id }} }}',
        # the second field needs a role the writer lacks on that project (a viewer)
        f"mutation {{ {FIRST} second: recordUsage("
        f'input: {{projectId: "p-shared", artifactId: "a-base"}}) {{ {TYPE} }} }}',
        # the same, through a fragment
        f"mutation {{ {FIRST} ...Forbidden }} "
        'fragment Forbidden on Mutation { second: upsertPerson(input: {id: "mm-person"}) { id } }',
    ],
)
def test_a_document_with_a_forbidden_field_runs_none_of_its_fields(production, graph, tokens, query):
    body = post(production, tokens["writer"], query)
    assert body["data"] is None, body
    assert [(e["extensions"]["code"], e["path"]) for e in body["errors"]] == [("FORBIDDEN", ["second"])]
    assert count(graph, "MATCH (n) WHERE n.id IN ['mm-artifact', 'mm-person'] RETURN count(n)") == 0
    assert events_for(graph, "mm-artifact") == 0


def test_every_forbidden_field_is_named(production, graph, tokens):
    body = post(
        production,
        tokens["reader"],
        'mutation { a: upsertTeam(input: {id: "mm-t", name: "T"}) { id } b: deleteArtifact(id: "a-base") { id } }',
    )
    assert body["data"] is None
    assert sorted(tuple(e["path"]) for e in body["errors"]) == [("a",), ("b",)]
    assert count(graph, "MATCH (n) WHERE n.id IN ['mm-t', 'a-base'] RETURN count(n)") == 1


def test_the_rules_see_the_variables_and_skipped_fields_as_execution_does(production, graph, tokens):
    query = """mutation($p: ID!, $skip: Boolean!) {
        upsertArtifact(input: {id: "mm-var", name: "V", kind: MODEL}) { id }
        recordUsage(input: {projectId: $p, artifactId: "mm-var"}) @skip(if: $skip) { usage { count } } }"""
    refused = post(production, tokens["writer"], query, {"p": "p-shared", "skip": False})
    assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert count(graph, "MATCH (n {id: 'mm-var'}) RETURN count(n)") == 0
    allowed = post(production, tokens["writer"], query, {"p": "p-shared", "skip": True})
    assert allowed == {"data": {"upsertArtifact": {"id": "mm-var"}}, "extensions": allowed["extensions"]}


def test_a_field_failing_after_another_was_written_leaves_that_one_in_the_answer(production, graph, tokens):
    body = post(
        production,
        tokens["admin"],
        """mutation {
        a: upsertTeam(input: {id: "mm-team", name: "Kept"}) { id name }
        b: upsertTeam(input: {id: "has space", name: "Refused"}) { id }
        c: deleteTeam(id: "mm-missing") { id } }""",
    )
    assert body["data"] == {"a": {"id": "mm-team", "name": "Kept"}, "b": None, "c": None}
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["b"], "BAD_USER_INPUT"),
        (["c"], "NOT_FOUND"),
    ]
    assert count(graph, "MATCH (t:Team {id: 'mm-team'}) RETURN count(t)") == 1
    assert events_for(graph, "mm-team") == 1 and events_for(graph, "has space") == 0


def test_every_mutation_declares_rules_the_document_check_can_run():
    for field in Mutation.__strawberry_definition__.fields:
        rules = [p for e in field.extensions if isinstance(e, PermissionExtension) for p in e.permissions]
        assert rules and all(isinstance(rule, Rule) for rule in rules), field.name


# --- cursors -------------------------------------------------------------------------------


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


FORGED_CURSORS = [
    _cursor("offset:²"),  # str.isdigit() says yes, int() says no
    _cursor("offset:١٢"),  # Arabic-Indic digits
    _cursor("offset:" + "9" * 31),  # 10^31 - 1: past what SKIP takes
    _cursor(f"offset:{MAX_OFFSET + 1}"),
    _cursor("offset:-1"),
    _cursor("offset:1e3"),
    _cursor("offset: 1"),
    _cursor("offset:"),
    _cursor("limit:5"),
    "not base64 at all!",
    "\udcff",  # a lone surrogate: no UTF-8 encodes it
    encode_cursor(1) * 20,
]


@pytest.mark.parametrize("cursor", FORGED_CURSORS)
def test_forged_cursors_are_bad_input(production, tokens, cursor):
    for query in (
        "query($c: String) { projects(after: $c) { totalCount } }",
        'query($c: String) { project(id: "p-shared") { uses(after: $c) { totalCount } } }',
        "query($c: String) { projects { edges { node { uses(after: $c) { totalCount } } } } }",
    ):
        body = post(production, tokens["reader"], query, {"c": cursor})
        error = body["errors"][0]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}, (query, body)


def test_cursors_this_api_makes_still_work():
    assert decode_cursor(encode_cursor(0)) == 0
    assert decode_cursor(encode_cursor(MAX_OFFSET)) == MAX_OFFSET


# --- search text is words ------------------------------------------------------------------

SEARCH = "query($t: String!) { search(text: $t) { node { id } } }"
HOSTILE_SEARCH = [
    "AND",
    "OR",
    "NOT",
    "a AND",
    "AND b",
    "a OR",
    "NOT NOT",
    "&&",
    "||",
    "!",
    '"',
    '"unbalanced',
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "[a TO z]",
    "*",
    "?",
    "~",
    "x~2",
    "^",
    "\\",
    "a\\",
    ":",
    "name:x",
    "/",
    "/regex/",
    "-",
    "+",
    "- +",
    "",
    "   ",
    "²",
    "\u0000",
    " ".join(f"w{i}" for i in range(1100)),  # more words than Lucene's 1,024 clauses
]


def test_hostile_search_text_is_answered_as_words(production, graph, tokens):
    failures = []
    for text in HOSTILE_SEARCH:
        body = post(production, tokens["reader"], SEARCH, {"t": text})
        codes = [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]
        if codes and codes != ["BAD_USER_INPUT"]:
            failures.append((text[:40], body["errors"][0]["message"]))
    assert not failures, failures


def test_search_still_finds_words_including_operator_words(production, graph, tokens):
    graph.execute_query("MERGE (:Project {id: 'p-sar', name: 'Search AND Rescue', description: 'gpt-4 (drones)'})")
    graph.execute_query("CALL db.awaitIndexes(30)")

    def found(text: str) -> list[str]:
        body = post(production, tokens["reader"], SEARCH, {"t": text})
        assert "errors" not in body, body
        return [hit["node"]["id"] for hit in body["data"]["search"]]

    assert "p-sar" in found("rescue")
    assert "p-sar" in found("AND")
    assert "p-sar" in found("gpt-4")
    assert "p-sar" in found("(drones)")
    assert found("rescue*") == found("rescue")  # `*` is a character here, not a wildcard
    assert found("- * ~") == []


# --- logs ----------------------------------------------------------------------------------


def _text_of(record: logging.LogRecord) -> str:
    parts = [record.getMessage(), *(str(value) for value in vars(record).values())]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


PERSON_VARIABLE = "mutation($i: PersonInput!) { upsertPerson(input: $i) { id } }"


@pytest.mark.parametrize(
    "who, query, variables",
    [
        ("reader", f'mutation {{ upsertPerson(input: {{id: "log-1", email: "{EMAIL}"}}) {{ id }} }}', {}),
        ("admin", f'mutation {{ upsertPerson(input: {{id: "has space", email: "{EMAIL}"}}) {{ id }} }}', {}),
        ("admin", PERSON_VARIABLE, {"i": {"id": "log-2", "email": EMAIL, "kind": "NOPE"}}),
        ("admin", PERSON_VARIABLE, {"i": {"id": "log-3", "email": [EMAIL]}}),
        (
            "admin",
            f'mutation {{ upsertPerson(input: {{id: "log-4", email: "{EMAIL}", mail: "{EMAIL}"}}) {{ id }} }}',
            {},
        ),
    ],
    ids=["forbidden", "bad-input", "bad-variable", "variable-of-wrong-type", "invalid-document"],
)
def test_a_refused_call_is_logged_without_personal_data_or_traceback(production, tokens, caplog, who, query, variables):
    caplog.set_level(logging.DEBUG)
    body = post(production, tokens[who], query, variables)
    assert body["errors"], body
    assert not [r for r in caplog.records if EMAIL in _text_of(r)], "the email reached the log"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    refusals = [r for r in caplog.records if r.name == "maestro_graph.graphql.errors"]
    assert len(refusals) == 1 and refusals[0].levelno == logging.INFO and refusals[0].refusals


def test_an_internal_error_is_logged_with_its_traceback_but_not_the_variables(production, tokens, caplog, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("the repository broke")

    monkeypatch.setattr("maestro_graph.repositories.nodes.upsert", broken)
    caplog.set_level(logging.DEBUG)
    body = post(production, tokens["admin"], PERSON_VARIABLE, {"i": {"id": "log-internal", "email": EMAIL}})
    assert body["errors"][0]["message"] == "Internal server error"
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info and "upsertPerson" in errors[0].getMessage()
    assert not [r for r in caplog.records if EMAIL in _text_of(r)]


# --- the email hash ------------------------------------------------------------------------


def test_only_admins_see_email_hashes(production, graph, tokens):
    data(
        production,
        f'mutation {{ upsertPerson(input: {{id: "u-hashed", email: "{EMAIL}"}}) {{ id }} '
        'addMember(personId: "u-hashed", projectId: "p-shared", role: VIEWER) { membership { roles } } }',
        **bearer(tokens["admin"]),
    )
    query = """{ person(id: "u-hashed") { emailHash }
                 people(filter: {text: "u-hashed"}) { edges { node { emailHash } } }
                 project(id: "p-shared") { members { edges { node { id emailHash } } } } }"""

    def hashes(token: str) -> set:
        result = data(production, query, **bearer(token))
        members = [e["node"] for e in result["project"]["members"]["edges"] if e["node"]["id"] == "u-hashed"]
        listed = [e["node"] for e in result["people"]["edges"]]
        return {result["person"]["emailHash"], *(node["emailHash"] for node in members + listed)}

    assert hashes(tokens["reader"]) == {None}
    assert hashes(tokens["writer"]) == {None}
    (admin_sees,) = hashes(tokens["admin"])
    assert len(admin_sees) == 64 and EMAIL not in admin_sees
