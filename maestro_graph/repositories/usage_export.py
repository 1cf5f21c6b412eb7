"""The usage graph read out whole, for training and evaluation (a batch job: sync driver).

Nodes come ordered by id, so the same graph always gives the same order. Each function
takes the sync `neo4j.Driver` and the database and runs one read query, routed to a
reader, in its own managed transaction.
"""

from __future__ import annotations

from typing import Any

import neo4j

from maestro_graph.graph_model import MODEL_RELATIONSHIPS, RelationshipType

_PROJECTS = """
MATCH (n:Project)
RETURN n.id AS id, n.name AS name, n.description AS description, n.section AS section,
       n.tags AS tags, n.success AS success
ORDER BY n.id
"""
_ARTIFACTS = """
MATCH (n:Artifact)
RETURN n.id AS id, n.name AS name, n.description AS description, n.section AS section, n.kind AS kind
ORDER BY n.id
"""
_PEOPLE = "MATCH (n:Person) RETURN n.id AS id, n.kind AS kind ORDER BY n.id"

# The relationships the models learn from (graph_model.MODEL_RELATIONSHIPS), as id pairs.
_PAIRS = {
    rel.name: f"MATCH (s:{rel.start.label})-[:{rel.name}]->(e:{rel.end.label}) RETURN s.id AS s, e.id AS e"
    for rel in MODEL_RELATIONSHIPS.values()
}


def _rows(driver: neo4j.Driver, database: str, query: str) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(query, database_=database, routing_=neo4j.RoutingControl.READ)
    return [record.data() for record in records]


def projects(driver: neo4j.Driver, database: str) -> list[dict[str, Any]]:
    """Every project: id, name, description, section, tags (a list or None), success (or None)."""
    return _rows(driver, database, _PROJECTS)


def artifacts(driver: neo4j.Driver, database: str) -> list[dict[str, Any]]:
    """Every artifact: id, name, description, section, kind."""
    return _rows(driver, database, _ARTIFACTS)


def people(driver: neo4j.Driver, database: str) -> list[dict[str, Any]]:
    """Every person: id and kind ("person", "team" or None)."""
    return _rows(driver, database, _PEOPLE)


def relationship_pairs(driver: neo4j.Driver, database: str, rel: RelationshipType) -> list[tuple[str, str]]:
    """(start id, end id) of every `rel` (one of graph_model.MODEL_RELATIONSHIPS), unordered."""
    return [(row["s"], row["e"]) for row in _rows(driver, database, _PAIRS[rel.name])]
