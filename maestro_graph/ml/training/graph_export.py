"""Reading the usage graph out of Neo4j into the in-memory `UsageGraph` the models use.

Node order is by id, so the same graph always gives the same indices.
"""

from __future__ import annotations

import neo4j
import numpy as np

from maestro_graph.ml.text_embedding import node_text
from maestro_graph.ml.usage_graph import UsageGraph, edge_array
from maestro_graph.repositories import usage_export

# UsageGraph's edge arrays: the relationship each one holds and the node kinds at its ends.
_EDGES = {
    "uses": ("USES", "project", "artifact"),
    "members": ("MEMBER_OF", "person", "project"),
    "created": ("CREATED", "person", "artifact"),
    "derived": ("DERIVED_FROM", "artifact", "artifact"),
}


def export_usage_graph(driver: neo4j.Driver, database: str) -> UsageGraph:
    projects = usage_export.projects(driver, database)
    artifacts = usage_export.artifacts(driver, database)
    people = usage_export.people(driver, database)
    index = {
        "project": {row["id"]: i for i, row in enumerate(projects)},
        "artifact": {row["id"]: i for i, row in enumerate(artifacts)},
        "person": {row["id"]: i for i, row in enumerate(people)},
    }
    edges = {}
    for name, (relationship, source, target) in _EDGES.items():
        left, right = index[source], index[target]
        pairs = usage_export.relationship_pairs(driver, database, relationship)
        edges[name] = edge_array(sorted((left[s], right[e]) for s, e in pairs))
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
        uses=edges["uses"],
        members=edges["members"],
        created=edges["created"],
        derived=edges["derived"],
    )
