"""Model versions and their predictions, as stored in the graph.

    (:Model {version, task, trained_at, metrics, params, active})
    (:Project)-[:RECOMMENDED {model_version, rank, score, because}]->(:Artifact)
    (:Project)-[:SUGGESTED {model_version, rank, score}]->(:Person)
    (:Model)-[:MADE]->(:Prediction {task: 'outcome', model_version, score})-[:ABOUT]->(:Project)
    (:Model)-[:MADE]->(:Prediction {task: 'impact', model_version, score, rank})-[:ABOUT]->(:Artifact)

Every read starts from the one active Model of its task inside the same transaction,
so an answer never mixes versions, even while a new version is being published.
"""

from __future__ import annotations

from typing import Any

import neo4j

from maestro_graph.db.graph import fetch

TASKS = ("artifacts", "team", "outcome", "impact")

MODELS = """
MATCH (m:Model) WHERE $task IS NULL OR m.task = $task
RETURN m {.*} AS model ORDER BY m.trained_at DESC LIMIT $limit
"""

RECOMMENDED = """
MATCH (m:Model {task: 'artifacts', active: true})
MATCH (p:Project {id: $id})-[r:RECOMMENDED]->(a:Artifact)
WHERE r.model_version = m.version AND NOT (p)-[:USES]->(a)
WITH m, r, a ORDER BY r.rank LIMIT $k
CALL (r) {
  UNWIND coalesce(r.because, []) AS because_id
  MATCH (b:Artifact {id: because_id})
  RETURN collect(b {.*, embedding: null}) AS because
}
RETURN a {.*, embedding: null} AS node, r.score AS score, m.version AS version, because
"""

SUGGESTED = """
MATCH (m:Model {task: 'team', active: true})
MATCH (p:Project {id: $id})-[r:SUGGESTED]->(h:Person)
WHERE r.model_version = m.version AND NOT (h)-[:MEMBER_OF]->(p)
RETURN h {.*, embedding: null} AS node, r.score AS score, m.version AS version
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

LEADERBOARD = """
MATCH (m:Model {task: 'impact', active: true})
MATCH (m)-[:MADE]->(x:Prediction)-[:ABOUT]->(a:Artifact)
WHERE $kind IS NULL OR a.kind = $kind
RETURN a {.*, embedding: null} AS node, x.score AS score, x.rank AS rank, m.version AS version
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
