"""Reading the usage graph out of Neo4j into the in-memory `UsageGraph` the models use.

Node order is by id, so the same graph always gives the same indices.
"""

from __future__ import annotations

import neo4j
import numpy as np

from maestro_graph.ml.usage_graph import UsageGraph, edge_array

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
_EDGES = {
    "uses": "MATCH (s:Project)-[:USES]->(e:Artifact) RETURN s.id AS s, e.id AS e",
    "members": "MATCH (s:Person)-[:MEMBER_OF]->(e:Project) RETURN s.id AS s, e.id AS e",
    "created": "MATCH (s:Person)-[:CREATED]->(e:Artifact) RETURN s.id AS s, e.id AS e",
    "derived": "MATCH (s:Artifact)-[:DERIVED_FROM]->(e:Artifact) RETURN s.id AS s, e.id AS e",
}
_ENDPOINTS = {"uses": ("project", "artifact"), "members": ("person", "project"),
              "created": ("person", "artifact"), "derived": ("artifact", "artifact")}


def node_text(name: str | None, description: str | None) -> str:
    """What gets embedded for a node: its name, and its description when it has one."""
    name = name or ""
    return f"{name}: {description}" if description else name


def _rows(driver: neo4j.Driver, database: str, query: str) -> list[dict]:
    records, _, _ = driver.execute_query(query, database_=database, routing_=neo4j.RoutingControl.READ)
    return [record.data() for record in records]


def export_usage_graph(driver: neo4j.Driver, database: str) -> UsageGraph:
    projects = _rows(driver, database, _PROJECTS)
    artifacts = _rows(driver, database, _ARTIFACTS)
    people = _rows(driver, database, _PEOPLE)
    index = {
        "project": {row["id"]: i for i, row in enumerate(projects)},
        "artifact": {row["id"]: i for i, row in enumerate(artifacts)},
        "person": {row["id"]: i for i, row in enumerate(people)},
    }
    edges = {}
    for name, query in _EDGES.items():
        left, right = (index[kind] for kind in _ENDPOINTS[name])
        edges[name] = edge_array(sorted((left[r["s"]], right[r["e"]]) for r in _rows(driver, database, query)))
    return UsageGraph(
        project_ids=[row["id"] for row in projects],
        artifact_ids=[row["id"] for row in artifacts],
        person_ids=[row["id"] for row in people],
        project_text=[node_text(row["name"], row["description"]) for row in projects],
        artifact_text=[node_text(row["name"], row["description"]) for row in artifacts],
        project_section=[row["section"] or "" for row in projects],
        project_tags=[", ".join(row["tags"] or []) for row in projects],
        artifact_section=[row["section"] or "" for row in artifacts],
        artifact_kind=[row["kind"] or "" for row in artifacts],
        person_is_team=np.asarray([row["kind"] == "team" for row in people], dtype=bool),
        success=np.asarray([np.nan if row["success"] is None else float(row["success"]) for row in projects]),
        **edges,
    )
