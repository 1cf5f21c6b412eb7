"""The graph is declared once (`maestro_graph.graph_model`); these tests fail when the GraphQL
schema, the Cypher or the Explorer say something else about it."""

from __future__ import annotations

import re
from pathlib import Path

import graphql
import pytest

from maestro_graph import graph_model
from maestro_graph.graph_model import RELATIONS, RELATIONSHIP_TYPES, VOCABULARIES
from maestro_graph.graphql.schema import SDL_PATH

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = graphql.build_schema(SDL_PATH.read_text())

# Cypher names a relationship type as `-[var:TYPE` and a label as `(var:Label`; Python
# slices (`[:N]`) and annotations (`(tx: T`) do not match these shapes.
_REL_TYPE = re.compile(r"-\[[a-z0-9_]*:([A-Z][A-Z_|]*)[\s\]{*]")
_LABEL = re.compile(r"\([a-z0-9_]*:([A-Z][A-Za-z]+)[\s){]")


def _cypher_sources() -> list[Path]:
    return sorted([*(ROOT / "maestro_graph").rglob("*.py"), *(ROOT / "cypher").rglob("*.cypher")])


def _named_type(type_: graphql.GraphQLOutputType) -> graphql.GraphQLNamedType:
    return graphql.get_named_type(type_)


@pytest.mark.parametrize("vocabulary", VOCABULARIES, ids=lambda v: v.graphql_enum)
def test_every_vocabulary_is_its_graphql_enum(vocabulary):
    enum = SCHEMA.get_type(vocabulary.graphql_enum)
    assert isinstance(enum, graphql.GraphQLEnumType)
    assert {name: value.value for name, value in enum.values.items()} == {
        value.upper(): value.upper() for value in vocabulary.values
    }
    assert enum.description == vocabulary.description


@pytest.mark.parametrize("relation", RELATIONS.values(), ids=lambda r: r.key)
def test_every_relation_is_a_connection_of_its_neighbours_on_its_anchor(relation):
    anchor = SCHEMA.get_type(relation.anchor.label)
    assert isinstance(anchor, graphql.GraphQLObjectType), relation.anchor.label
    field = anchor.fields.get(relation.field)
    assert field is not None, f"{relation.anchor.label}.{relation.field} is declared but not in schema.graphql"
    assert {"first", "after"} <= set(field.args)
    connection = _named_type(field.type)
    edge = _named_type(connection.fields["edges"].type)
    assert _named_type(edge.fields["node"].type).name == relation.neighbour.label


def test_every_connection_between_graph_nodes_is_declared():
    labels = {node.label for node in graph_model.NODE_TYPES}
    declared = {(r.anchor.label, r.field) for r in RELATIONS.values()}
    for label in labels:
        for name, field in SCHEMA.get_type(label).fields.items():
            target = _named_type(field.type)
            if not name.startswith("__") and target.name.endswith("Connection"):
                node = _named_type(_named_type(target.fields["edges"].type).fields["node"].type).name
                if node in labels:
                    assert (label, name) in declared, f"{label}.{name} walks the graph but is not in graph_model"


def test_every_relationship_type_and_label_in_the_cypher_is_declared():
    rel_types = {rel.name for rel in RELATIONSHIP_TYPES} | {rel.name for rel in graph_model.RECORD_RELATIONSHIPS}
    labels = {node.label for node in graph_model.NODE_TYPES} | set(graph_model.RECORD_LABELS)
    unknown = []
    for path in _cypher_sources():
        text = path.read_text()
        for match in _REL_TYPE.finditer(text):
            unknown += [
                f"{path.relative_to(ROOT)}: -[:{name}]" for name in match.group(1).split("|") if name not in rel_types
            ]
        unknown += [
            f"{path.relative_to(ROOT)}: (:{m.group(1)})" for m in _LABEL.finditer(text) if m.group(1) not in labels
        ]
    assert not unknown, "\n".join(unknown)


def test_the_relation_patterns_follow_each_relationship_s_direction():
    uses_from_project = RELATIONS["project_uses"].pattern("s", "r", "n")
    uses_from_artifact = RELATIONS["artifact_used_by"].pattern("s", "r", "n")
    assert uses_from_project == "(s)-[r:USES]->(n:Artifact)"
    assert uses_from_artifact == "(n:Project)-[r:USES]->(s)"
    # Every relationship type is walked from both of its ends.
    assert {(r.relationship.name, r.outgoing) for r in RELATIONS.values()} == {
        (rel.name, outgoing) for rel in RELATIONSHIP_TYPES for outgoing in (True, False)
    }


def test_the_explorer_view_carries_every_declared_relationship():
    view = graph_model.explorer_view()
    assert [r["name"] for r in view["relationshipTypes"]] == [rel.name for rel in RELATIONSHIP_TYPES]
    assert {(r["anchor"], r["field"]) for r in view["relations"]} == {
        (r.anchor.label, r.field) for r in RELATIONS.values()
    }


def test_the_models_learn_from_declared_relationships_between_model_nodes():
    from maestro_graph.ml.training import gnn
    from maestro_graph.ml.usage_graph import UsageGraph

    model_nodes = set(gnn.NODE_TYPES)
    for array, rel in graph_model.MODEL_RELATIONSHIPS.items():
        assert array in UsageGraph.__dataclass_fields__, array
        assert {rel.start.label.lower(), rel.end.label.lower()} <= model_nodes
        assert gnn.RELATIONS[array] == (rel.start.label.lower(), rel.name.lower(), rel.end.label.lower())
