"""Reading the usage graph out of Neo4j into the in-memory `UsageGraph` the models use.

Node order is by id, so the same graph always gives the same indices.
"""

from __future__ import annotations

import neo4j
import numpy as np

from maestro_graph.graph_model import MODEL_RELATIONSHIPS
from maestro_graph.ml.text_embedding import node_text
from maestro_graph.ml.usage_graph import UsageGraph, edge_array
from maestro_graph.repositories import usage_export


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
    # UsageGraph's edge arrays, each holding one relationship; node kinds are the labels in lower case.
    for name, rel in MODEL_RELATIONSHIPS.items():
        left, right = index[rel.start.label.lower()], index[rel.end.label.lower()]
        pairs = usage_export.relationship_pairs(driver, database, rel)
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
