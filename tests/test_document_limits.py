"""A document's depth, aliases and expansion are measured before any validation rule runs,
each fragment once: a few hundred bytes of fragments spreading one another cannot keep the
server busy, depth and aliases are counted as before, and /healthz answers meanwhile."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
import strawberry.schema.schema as strawberry_schema
from conftest import TEST_DATA_DIR, access_token, bearer, data, error_of, live_server, register_client
from graphql import parse, validate
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter

from maestro_graph.config import Settings
from maestro_graph.graphql.document_limits import CODE, Limits, refusals
from maestro_graph.graphql.schema import build_schema

LIMITS = Limits(max_depth=10, max_aliases=30, max_selections=2000)
GENEROUS = 5.0  # seconds; the 7-level attack took 38 s before


def spread_attack(levels: int = 7, fan: int = 10, name: str = "Q123") -> str:
    """The issue's document: each fragment spreads the one below `fan` times."""
    fragments = ["fragment F0 on Query { __typename }"]
    fragments += [f"fragment F{i} on Query {{ {' '.join([f'...F{i - 1}'] * fan)} }}" for i in range(1, levels + 1)]
    return f"query {name} {{ ...F{levels} }} " + " ".join(fragments)


def through_fragments(levels: int, leaf: str = "id") -> str:
    """A project, `levels` of `uses { edges { node` below it, each in a fragment of its own,
    and `leaf` at the bottom: depth 1 + 3 x levels, and one more if `leaf` has a selection."""
    fragments = [f"fragment N0 on Project {{ {leaf} }}"]
    fragments += [
        f"fragment N{i} on Project {{ uses {{ edges {{ node {{ ...N{i - 1} }} }} }} }}" for i in range(1, levels + 1)
    ]
    return f'{{ project(id: "x") {{ ...N{levels} }} }} ' + " ".join(fragments)


@pytest.fixture(scope="module")
def reader(production, neo4j_target):
    return access_token(production, register_client(neo4j_target, "limits-reader", "read"))


@pytest.fixture()
def validations(monkeypatch):
    """How often graphql-core's rules ran (Strawberry's validation calls graphql-core's `validate`)."""
    calls = []

    def counted(*args, **kwargs):
        calls.append(args[1])
        return validate(*args, **kwargs)

    monkeypatch.setattr(strawberry_schema, "validate", counted)
    return calls


def test_the_spread_attack_is_refused_before_any_validation_rule_runs(production, reader, validations):
    started = time.monotonic()
    response = production.post("/graphql", json={"query": spread_attack(name="Fresh1")}, **bearer(reader))
    elapsed = time.monotonic() - started
    body = response.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == [CODE]
    assert "once its fragments are spread" in body["errors"][0]["message"]
    assert body["extensions"]["cypher"]["roundTrips"] == 0
    assert validations == []
    assert elapsed < GENEROUS
    # A document within the limits is validated as before (the count above would have seen it).
    assert data(production, "query Fresh2 { ...F } fragment F on Query { __typename }", **bearer(reader))
    assert len(validations) == 1


def test_no_nesting_of_spreads_makes_the_measure_slow():
    # 10^40 selections once spread, over 45 fragments: measured once each, never expanded.
    started = time.monotonic()
    errors = refusals(parse(spread_attack(levels=40, fan=10)), LIMITS)
    assert [e.extensions["code"] for e in errors] == [CODE]
    assert time.monotonic() - started < GENEROUS


def test_fragments_save_typing_not_work():
    fragment = "fragment A on Query { " + "__typename " * 100 + "}"
    within = "{ " + "...A " * 19 + "} " + fragment  # 19 spreads of 100 fields: 1,919 selections
    beyond = "{ " + "...A " * 20 + "} " + fragment  # 2,020
    assert refusals(parse(within), LIMITS) == []
    assert [e.extensions["code"] for e in refusals(parse(beyond), LIMITS)] == [CODE]


# Depth and aliases as Strawberry's QueryDepthLimiter and MaxAliasesLimiter counted them
# (on documents small enough for them): through fragments, inline fragments, several
# operations, introspection fields (not descended for depth) and a fragment spread twice.
SAME_AS_BEFORE = {
    "depth 10": through_fragments(3),
    "depth 11": through_fragments(3, leaf="uses { totalCount }"),
    "depth 11 in inline fragments": '{ project(id: "x") { ... on Project { '
    + "uses { edges { node { " * 3
    + "... on Project { uses { totalCount } } "
    + "} } } " * 3
    + "} } }",
    "deep in one operation of two": "query Shallow { __typename } query Deep " + through_fragments(4),
    "introspection is not descended": "{ __schema { types { fields { type { ofType { ofType { ofType { ofType "
    "{ ofType { ofType { ofType { ofType { name } } } } } } } } } } } } }",
    "30 aliases": "{ " + " ".join(f"a{i}: __typename" for i in range(30)) + " }",
    "31 aliases": "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }",
    "16 aliases spread twice": "{ ...A ...A } fragment A on Query { "
    + " ".join(f"a{i}: __typename" for i in range(16))
    + " }",
    "aliases over two operations": "query One { a: __typename b: __typename } query Two { "
    + " ".join(f"c{i}: __typename" for i in range(29))
    + " }",
    "a fragment cycle": "{ ...A } fragment A on Query { ...B x: __typename } fragment B on Query { ...A }",
}


@pytest.mark.parametrize("document", SAME_AS_BEFORE.values(), ids=SAME_AS_BEFORE.keys())
def test_depth_and_aliases_are_counted_as_before(document):
    rules = [*QueryDepthLimiter(max_depth=10).validation_rules, *MaxAliasesLimiter(max_alias_count=30).validation_rules]
    before = {e.message for e in validate(build_schema()._schema, parse(document), rules)}
    now = {e.message for e in refusals(parse(document), LIMITS)}
    assert now == before


def test_depth_and_aliases_are_refused_with_a_code(client):
    deep = error_of(client, through_fragments(4))
    assert deep["extensions"]["code"] == CODE and "depth" in deep["message"]
    aliased = error_of(client, SAME_AS_BEFORE["16 aliases spread twice"])
    assert aliased["extensions"]["code"] == CODE and aliased["message"] == "32 aliases found. Allowed: 30"


def test_fragment_cycles_and_unknown_fragments_are_left_to_validation(client):
    cycle = error_of(client, "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }")
    assert "within itself" in cycle["message"]
    unknown = error_of(client, "{ ...Missing }")
    assert 'Unknown fragment "Missing"' in unknown["message"] or "Unknown fragment 'Missing'" in unknown["message"]


def test_fragments_within_the_limits_are_served(client):
    data(client, 'mutation { upsertProject(input: {id: "spread", name: "Spread"}) { id } }')
    query = (
        "{ projects(first: 2) { edges { node { ...P uses(first: 2) { edges { node { "
        "usedBy(first: 2) { edges { node { ...P } } } } } } } } } } fragment P on Project { id name }"
    )
    node = {"id": "spread", "name": "Spread", "uses": {"edges": []}}
    assert data(client, query)["projects"]["edges"] == [{"node": node}]


def test_healthz_answers_while_attacks_are_handled(graph, neo4j_target):
    answers: list[httpx.Response] = []
    with (
        live_server(Settings(profile="dev", data_dir=TEST_DATA_DIR), neo4j_target) as base,
        httpx.Client(base_url=base, timeout=GENEROUS) as probe,
    ):

        def attack() -> None:
            with httpx.Client(base_url=base, timeout=GENEROUS) as attacker:
                for i in range(10):
                    answers.append(attacker.post("/graphql", json={"query": spread_attack(name=f"Live{i}")}))

        attacker = threading.Thread(target=attack)
        attacker.start()
        probes = 0
        while True:  # at least one probe, however soon the attacks are answered
            assert probe.get("/healthz").json() == {"status": "ok"}
            probes += 1
            if not attacker.is_alive():
                break
        attacker.join()
    assert probes >= 1
    assert len(answers) == 10
    assert all(a.json()["errors"][0]["extensions"]["code"] == CODE for a in answers)
