"""Model versions and their predictions, as stored in the graph.

    (:Model {version, task, trained_at, metrics, params, active, model_file?})
    (:Project)-[:RECOMMENDED {model_version, rank, score, because}]->(:Artifact)
    (:Project)-[:SUGGESTED {model_version, rank, score}]->(:Person)
    (:Model)-[:MADE]->(:Prediction {task: 'outcome', model_version, score})-[:ABOUT]->(:Project)
    (:Prediction {task: 'outcome'})-[:WITHOUT {change}]->(:Artifact)
    (:Model)-[:MADE]->(:Prediction {task: 'impact', model_version, score, rank})-[:ABOUT]->(:Artifact)

WITHOUT (absent from versions trained before it existed): per artifact the project uses,
the change in its success probability when the model is evaluated with that artifact taken
out of its neighbourhood (read by `impact`, from the artifact's side).
Deprecated artifacts are never recommended.

Every read starts from the one active Model of its task inside the same transaction,
so an answer never mixes versions, even while a new version is being published.
"""

from __future__ import annotations

from typing import Any

import neo4j

from maestro_graph.db.graph import GraphDB, fetch
from maestro_graph.repositories.deprecation import NOT_DEPRECATED
from maestro_graph.repositories.nodes import public_properties

TASKS = ("artifacts", "team", "outcome", "impact")

MODELS = """
MATCH (m:Model) WHERE $task IS NULL OR m.task = $task
RETURN m {.version, .task, .trained_at, .metrics, .params, .active} AS model
ORDER BY m.trained_at DESC LIMIT $limit
"""

# The version each task serves now, for the gauges on /metrics.
ACTIVE_MODELS = """
MATCH (m:Model {active: true})
RETURN m.task AS task, m.version AS version, m.trained_at.epochMillis / 1000.0 AS trained_at
"""

RECOMMENDED = f"""
MATCH (m:Model {{task: 'artifacts', active: true}})
MATCH (p:Project {{id: $id}})-[r:RECOMMENDED]->(a:Artifact)
WHERE r.model_version = m.version AND NOT (p)-[:USES]->(a) AND {NOT_DEPRECATED}
WITH m, r, a ORDER BY r.rank LIMIT $k
CALL (r) {{
  UNWIND coalesce(r.because, []) AS because_id
  MATCH (b:Artifact {{id: because_id}})
  RETURN collect({public_properties("b")}) AS because
}}
RETURN {public_properties("a")} AS node, r.score AS score, m.version AS version, because
"""

SUGGESTED = f"""
MATCH (m:Model {{task: 'team', active: true}})
MATCH (p:Project {{id: $id}})-[r:SUGGESTED]->(h:Person)
WHERE r.model_version = m.version AND NOT (h)-[:MEMBER_OF]->(p)
RETURN {public_properties("h")} AS node, r.score AS score, m.version AS version
ORDER BY r.rank LIMIT $k
"""

OUTCOMES = """
MATCH (m:Model {task: 'outcome', active: true})
UNWIND $ids AS id
MATCH (:Project {id: id})<-[:ABOUT]-(x:Prediction {model_version: m.version})
RETURN id, x.score AS score, m.version AS version
"""

IMPACTS = """
MATCH (m:Model {task: 'impact', active: true})
UNWIND $ids AS id
MATCH (:Artifact {id: id})<-[:ABOUT]-(x:Prediction {model_version: m.version})
RETURN id, x.score AS score, x.rank AS rank, m.version AS version
"""

LEADERBOARD = f"""
MATCH (m:Model {{task: 'impact', active: true}})
MATCH (m)-[:MADE]->(x:Prediction)-[:ABOUT]->(a:Artifact)
WHERE $kind IS NULL OR a.kind = $kind
RETURN {public_properties("a")} AS node, x.score AS score, x.rank AS rank, m.version AS version
ORDER BY x.rank SKIP $skip LIMIT $limit
"""

PROJECT_NEEDS = """
MATCH (p:Project {id: $id})
OPTIONAL MATCH (p)-[:USES]->(a:Artifact)
RETURN collect(a.id) AS artifacts
"""

# For each candidate: the needed artifacts they have worked with (through any project),
# and which other candidates they have shared a project with.
CANDIDATE_PROFILES = """
UNWIND $people AS pid
MATCH (h:Person {id: pid})
OPTIONAL MATCH (h)-[:MEMBER_OF]->(q:Project)
WITH h, collect(q) AS projects
CALL (h, projects) {
  UNWIND projects AS q
  MATCH (q)-[:USES]->(a:Artifact) WHERE a.id IN $needed
  RETURN collect(DISTINCT a.id) AS knows
}
CALL (h, projects) {
  UNWIND projects AS q
  MATCH (q)<-[:MEMBER_OF]-(other:Person) WHERE other.id IN $people AND other <> h
  RETURN collect(DISTINCT other.id) AS worked_with
}
RETURN h.id AS id, knows, worked_with
"""


async def models(tx: neo4j.AsyncManagedTransaction, task: str | None, limit: int) -> list[dict]:
    return [row["model"] for row in await fetch(tx, MODELS, task=task, limit=limit)]


async def active_models(db: GraphDB) -> list[dict[str, Any]]:
    """Task, version and training time (epoch seconds) of every active model version. Read by
    the /metrics scrape in one attempt, never retried, as `GraphDB.query_once` does."""
    return await db.query_once(ACTIVE_MODELS)


async def recommended_artifacts(tx, project_id: str, k: int) -> list[dict[str, Any]]:
    return await fetch(tx, RECOMMENDED, id=project_id, k=k)


async def suggested_people(tx, project_id: str, k: int) -> list[dict[str, Any]]:
    return await fetch(tx, SUGGESTED, id=project_id, k=k)


async def outcomes(tx, ids: list[str]) -> dict[str, dict]:
    return {row["id"]: row for row in await fetch(tx, OUTCOMES, ids=ids)}


async def impacts(tx, ids: list[str]) -> dict[str, dict]:
    return {row["id"]: row for row in await fetch(tx, IMPACTS, ids=ids)}


async def leaderboard(tx, kind: str | None, skip: int, limit: int) -> list[dict]:
    return await fetch(tx, LEADERBOARD, kind=kind, skip=skip, limit=limit)


async def project_needs(tx, project_id: str) -> list[str]:
    rows = await fetch(tx, PROJECT_NEEDS, id=project_id)
    return rows[0]["artifacts"] if rows else []


async def candidate_profiles(tx, people: list[str], needed: list[str]) -> dict[str, dict]:
    rows = await fetch(tx, CANDIDATE_PROFILES, people=people, needed=needed)
    return {row["id"]: row for row in rows}
