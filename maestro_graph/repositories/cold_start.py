"""What a cold-start recommendation reads: a project's text and links, and what the projects
most similar to it use (never a deprecated artifact) and who keeps them (API: async functions taking a transaction).

The similar projects themselves come from `semantic.projects_near`; here they arrive as
`neighbours`, a list of {id, score}.
"""

from __future__ import annotations

from typing import Any

import neo4j

from maestro_graph.db.graph import fetch
from maestro_graph.repositories.deprecation import NOT_DEPRECATED
from maestro_graph.repositories.nodes import public_properties

_PROJECT_STATE = """
MATCH (p:Project {id: $id})
OPTIONAL MATCH (p)-[:USES]->(a:Artifact)
OPTIONAL MATCH (h:Person)-[:MEMBER_OF]->(p)
RETURN p.name AS name, p.description AS description, p.embedding AS embedding,
       collect(DISTINCT a.id) AS uses, collect(DISTINCT h.id) AS members
"""
# Similar projects vote for what they use, weighted by similarity; votes are divided by
# the square root of how widely the artifact (or person) is used overall, so the answer
# reflects what is particular to similar projects rather than what every project uses.
_NEIGHBOUR_ARTIFACTS = f"""
UNWIND $neighbours AS n
MATCH (:Project {{id: n.id}})-[:USES]->(a:Artifact) WHERE {NOT_DEPRECATED}
WITH a, sum(n.score) AS votes, collect(n.id)[..3] AS via
RETURN {public_properties("a")} AS node, votes / sqrt(toFloat(COUNT {{ (a)<-[:USES]-() }})) AS score, via
ORDER BY score DESC, node.id LIMIT $limit
"""
_NEIGHBOUR_PEOPLE = f"""
UNWIND $neighbours AS n
MATCH (:Project {{id: n.id}})<-[:MEMBER_OF]-(h:Person) WHERE coalesce(h.kind, 'person') = 'person'
WITH h, sum(n.score) AS votes
RETURN {public_properties("h")} AS node, votes / sqrt(toFloat(COUNT {{ (h)-[:MEMBER_OF]->() }})) AS score
ORDER BY score DESC, node.id LIMIT $limit
"""


async def project_state(tx: neo4j.AsyncManagedTransaction, project_id: str) -> dict[str, Any] | None:
    """The project's name, description, stored embedding (or None), and the ids it `uses` and
    its `members`; None when there is no such project."""
    rows = await fetch(tx, _PROJECT_STATE, id=project_id)
    return rows[0] if rows else None


async def neighbour_artifacts(
    tx: neo4j.AsyncManagedTransaction, neighbours: list[dict[str, Any]], limit: int
) -> list[dict[str, Any]]:
    """Artifacts the neighbours use, best first: node, score, and `via` (up to 3 neighbour ids)."""
    return await fetch(tx, _NEIGHBOUR_ARTIFACTS, neighbours=neighbours, limit=limit)


async def neighbour_people(
    tx: neo4j.AsyncManagedTransaction, neighbours: list[dict[str, Any]], limit: int
) -> list[dict[str, Any]]:
    """People (kind person, not teams) who keep the neighbours, best first: node and score."""
    return await fetch(tx, _NEIGHBOUR_PEOPLE, neighbours=neighbours, limit=limit)
