"""Values the graph cannot hold are stopped before they reach it: text that a range index
covers is bounded (Neo4j refuses an index entry over about 8 kB, which reached an API
caller as an internal error and failed a git import whole): refused from the API with the
field at fault, cut to length from git's author names. Counts are digits 0-9 within
Neo4j's 64-bit integers."""

from __future__ import annotations

import re

import pytest
from conftest import count, data, error_of
from test_git_import import RepoBuilder, rows

from maestro_graph import domain
from maestro_graph.db.migrations import MIGRATIONS_DIR
from maestro_graph.graph_model import NODE_TYPES
from maestro_graph.ingest.git.importer import import_repositories

# The longest free text the API takes, and past Neo4j's limit on an index entry (about 8 kB).
LONG = "x" * domain.MAX_TEXT_LENGTH
_RANGE_INDEX = re.compile(r"CREATE INDEX \w+ IF NOT EXISTS FOR \(n:(\w+)\) ON \(n\.(\w+)\)")

# Each range-indexed property of a domain node that a caller writes as free text: the
# mutation that writes it, the input it is written from, and the input field.
FREE_TEXT = {
    ("Project", "name"): ("upsertProject", "ProjectInput", "name"),
    ("Project", "section"): ("upsertProject", "ProjectInput", "section"),
    ("Artifact", "name"): ("upsertArtifact", "ArtifactInput", "name"),
    ("Person", "name"): ("upsertPerson", "PersonInput", "name"),
    ("Team", "name"): ("upsertTeam", "TeamInput", "name"),
}
# Indexed, but never free text from a caller: a choice from a vocabulary, or a hash.
NOT_FREE_TEXT = {("Project", "status"), ("Artifact", "kind"), ("Person", "email_hash")}
VALID = {
    "ProjectInput": {"id": "bounds-project", "name": "Bounds"},
    "ArtifactInput": {"id": "bounds-artifact", "name": "Bounds", "kind": "MODEL"},
    "PersonInput": {"id": "bounds-person", "name": "Bounds"},
    "TeamInput": {"id": "bounds-team", "name": "Bounds"},
}


def _indexed_domain_properties() -> set[tuple[str, str]]:
    labels = {node.label for node in NODE_TYPES}
    found = set()
    for path in MIGRATIONS_DIR.glob("*.cypher"):
        found |= {match for match in _RANGE_INDEX.findall(path.read_text()) if match[0] in labels}
    return found


def test_every_range_indexed_property_of_a_domain_node_is_known_here():
    """A new index on a property callers write fails here until its bound is tested below."""
    assert _indexed_domain_properties() == set(FREE_TEXT) | NOT_FREE_TEXT


@pytest.mark.parametrize(("label", "prop"), sorted(FREE_TEXT))
def test_indexed_text_past_the_name_length_is_bad_user_input_and_writes_nothing(client, graph, label, prop):
    mutation, input_type, field = FREE_TEXT[(label, prop)]
    values = {**VALID[input_type], field: LONG}
    error = error_of(client, f"mutation($i: {input_type}!) {{ {mutation}(input: $i) {{ id }} }}", {"i": values})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert error["message"] == f"{field}: must be at most {domain.MAX_NAME_LENGTH} characters"
    assert count(graph, f"MATCH (n:{label} {{id: $id}}) RETURN count(n)", id=values["id"]) == 0


def test_indexed_text_at_the_name_length_is_stored(client, graph):
    section = "s" * domain.MAX_NAME_LENGTH
    project = data(
        client,
        "mutation($i: ProjectInput!) { upsertProject(input: $i) { id section } }",
        {"i": {"id": "bounds-at-limit", "name": "At the limit", "section": section}},
    )["upsertProject"]
    assert project == {"id": "bounds-at-limit", "section": section}


def test_a_git_author_name_past_an_index_entry_is_stored_cut_to_the_name_length(graph, tmp_path):
    """Git takes an author name of any length; the Person it makes is indexed by name."""
    repo = RepoBuilder(tmp_path / "long-name")
    repo.write("README.md", "hello\n")
    repo.commit("start", ("n" * 9_000, "long.name@example.org"), "2025-02-03T10:00:00Z")
    (report,) = import_repositories(graph, "neo4j", [repo.path])
    assert report.people == 1
    people = rows(
        graph, "MATCH (h:Person {email_hash: $h}) RETURN h.name AS name", h=domain.hash_email("long.name@example.org")
    )
    assert people == [{"name": "n" * domain.MAX_NAME_LENGTH}]


@pytest.mark.parametrize("text", ["²", "١٢", "1_000", "+3", "-1", "3.0", "", "9223372036854775808", "9" * 5_000])
def test_a_count_is_digits_0_to_9_within_neo4j_integers(text):
    with pytest.raises(domain.InvalidInput) as refused:
        domain.valid_count(text)
    assert refused.value.field == "count"
    assert refused.value.reason.startswith("must be a non-negative integer in digits 0-9, at most 9223372036854775807")
    assert len(refused.value.reason) < 200  # a huge value is quoted cut short


@pytest.mark.parametrize("number", [-1, 2**63, True, 1.5])
def test_a_count_given_as_a_number_is_a_non_negative_64_bit_integer(number):
    with pytest.raises(domain.InvalidInput):
        domain.valid_count(number)


def test_counts_that_neo4j_can_hold_are_read():
    assert domain.valid_count(" 0012 ") == 12
    assert domain.valid_count("9223372036854775807") == domain.MAX_INTEGER
    assert domain.valid_count(domain.MAX_INTEGER) == domain.MAX_INTEGER
    assert domain.valid_count(0) == 0
