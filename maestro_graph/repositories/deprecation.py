"""Deprecated artifacts (API: async functions taking a transaction).

A deprecated artifact carries three properties:

    (:Artifact {deprecated_at: datetime, deprecation_reason: string, replaced_by: artifact id or absent})

Recommendation queries leave out every artifact with `deprecated_at` set (see
`predictions.RECOMMENDED`, `cold_start`); here are the writes and the page of projects
still using one, each with the replacement candidates the recommender ranks for it.
"""

from __future__ import annotations

from typing import Any

import neo4j

from maestro_graph.db.graph import fetch_maps
from maestro_graph.repositories.nodes import public_properties

# The condition, on artifact variable `a`, that keeps deprecated artifacts out of an answer.
NOT_DEPRECATED = "a.deprecated_at IS NULL"

_DEPRECATE = f"""
MATCH (a:Artifact {{id: $id}})
SET a.deprecated_at = datetime(), a.deprecation_reason = $reason, a.replaced_by = $replacement
RETURN {public_properties("a")} AS node
"""

_UNDEPRECATE = f"""
MATCH (a:Artifact {{id: $id}})
REMOVE a.deprecated_at, a.deprecation_reason, a.replaced_by
RETURN {public_properties("a")} AS node
"""

_USERS = f"""
MATCH (d:Artifact {{id: $id}})
CALL (d) {{
  MATCH (p:Project)-[u:USES]->(d)
  WITH p, u ORDER BY p.name, p.id SKIP $skip LIMIT $limit
  RETURN collect({{node: {public_properties("p")}, rel: properties(u)}}) AS page
}}
RETURN page, COUNT {{ (:Project)-[:USES]->(d) }} AS total
"""

# Per project: what the active artifacts model recommends it of the deprecated artifact's kind,
# best first, leaving out what it already uses and anything deprecated.
_ALTERNATIVES = f"""
MATCH (m:Model {{task: 'artifacts', active: true}})
MATCH (d:Artifact {{id: $id}})
UNWIND $projects AS pid
MATCH (p:Project {{id: pid}})
CALL (m, d, p) {{
  MATCH (p)-[r:RECOMMENDED]->(a:Artifact)
  WHERE r.model_version = m.version AND a <> d AND coalesce(a.kind, 'other') = coalesce(d.kind, 'other')
    AND {NOT_DEPRECATED} AND NOT (p)-[:USES]->(a)
  WITH a, r ORDER BY r.rank LIMIT $limit
  RETURN collect({{node: {public_properties("a")}, score: r.score, rank: r.rank}}) AS alternatives
}}
RETURN pid, alternatives, m.version AS version
"""


async def deprecate(
    tx: neo4j.AsyncManagedTransaction, artifact_id: str, reason: str, replacement: str | None
) -> dict[str, Any] | None:
    """Mark the artifact deprecated (again: the time and reason are replaced); None if absent."""
    rows = await fetch_maps(tx, _DEPRECATE, id=artifact_id, reason=reason, replacement=replacement)
    return rows[0]["node"] if rows else None


async def undeprecate(tx: neo4j.AsyncManagedTransaction, artifact_id: str) -> dict[str, Any] | None:
    rows = await fetch_maps(tx, _UNDEPRECATE, id=artifact_id)
    return rows[0]["node"] if rows else None


async def users(
    tx: neo4j.AsyncManagedTransaction, artifact_id: str, skip: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """A page of the projects using the artifact ({node, rel}, by name) and how many there are."""
    rows = await fetch_maps(tx, _USERS, id=artifact_id, skip=skip, limit=limit)
    return (rows[0]["page"], rows[0]["total"]) if rows else ([], 0)


async def alternatives(
    tx: neo4j.AsyncManagedTransaction, artifact_id: str, projects: list[str], limit: int
) -> dict[str, list[dict[str, Any]]]:
    """Per project id: up to `limit` recommended artifacts of the same kind ({node, score, rank})."""
    rows = await fetch_maps(tx, _ALTERNATIVES, id=artifact_id, projects=projects, limit=limit)
    return {row["pid"]: row["alternatives"] for row in rows}
