"""What depends on an artifact: its lineage, the projects that use it or something derived
from it, and what the active outcome model says those projects lose without it (API:
async functions taking a transaction).

Cypher cannot take a variable-length bound as a parameter, so each depth a caller may ask
for has its own query text, built here from this module's own integer range; the depth a
caller chose only picks one of them (`KeyError` for any other).

"Reached at depth d" means: the project USES an artifact that is a removed one (d = 1) or
derives from one through d - 1 DERIVED_FROM steps. A project reached several ways keeps
its shallowest way, the path of artifact ids from what it uses to what is removed.
"""

from __future__ import annotations

from typing import Any

import neo4j

from maestro_graph.db.graph import fetch, fetch_maps
from maestro_graph.repositories.nodes import public_properties

MAX_DEPTH = 5
DEPTHS = range(1, MAX_DEPTH + 1)
DIRECTIONS = ("upstream", "downstream")


def _reach(depth: int) -> str:
    """Rows (p, depth, via, removed_used) for every project reached from the artifacts $ids."""
    return f"""
MATCH (r:Artifact) WHERE r.id IN $ids
MATCH path = (a:Artifact)-[:DERIVED_FROM*0..{int(depth) - 1}]->(r)
WITH a, path ORDER BY length(path), [n IN nodes(path) | n.id]
WITH a, head(collect(path)) AS path
MATCH (p:Project)-[:USES]->(a)
WITH p, a, path ORDER BY length(path), a.id
WITH p, head(collect([n IN nodes(path) | n.id])) AS via, min(length(path)) + 1 AS depth,
     [x IN collect(a.id) WHERE x IN $ids] AS removed_used
"""


# The change the model predicts for project p when the removed artifacts it uses directly go:
# the sum of the published per-artifact changes (one artifact: the model's own evaluation),
# kept inside [0, 1] once added to p's prediction. Null unless p has one for each of them.
_CHANGE = """
OPTIONAL MATCH (p)<-[:ABOUT]-(x:Prediction {task: 'outcome', model_version: $version})
CALL (x, removed_used) {
  UNWIND removed_used AS rid
  OPTIONAL MATCH (x)-[w:WITHOUT]->(:Artifact {id: rid})
  RETURN count(w) AS found, sum(w.change) AS raw_change
}
WITH p, depth, via, removed_used,
     CASE WHEN x IS NULL OR size(removed_used) = 0 OR found < size(removed_used) THEN null
          ELSE CASE WHEN x.score + raw_change < 0.0 THEN 0.0
                    WHEN x.score + raw_change > 1.0 THEN 1.0
                    ELSE x.score + raw_change END - x.score
     END AS change
"""

_PAGE = {
    depth: _reach(depth)
    + f"""
WITH p, depth, via, removed_used ORDER BY depth, p.name, p.id
WITH collect({{p: p, depth: depth, via: via, removed_used: removed_used}}) AS rows
CALL (rows) {{
  UNWIND rows[$skip..$skip + $limit] AS row
  WITH row, row.p AS p
  RETURN collect({{project: {public_properties("p")}, depth: row.depth, via: row.via,
                  removed_used: row.removed_used}}) AS page
}}
RETURN size(rows) AS total, page
"""
    for depth in DEPTHS
}

_TOTALS = {
    depth: _reach(depth)
    + _CHANGE
    + """
WITH depth, count(p) AS projects, count(change) AS rescored, sum(change) AS change
RETURN depth, projects, rescored, change ORDER BY depth
"""
    for depth in DEPTHS
}

_ACTIVE_OUTCOME_MODEL = """
MATCH (m:Model {task: 'outcome', active: true})
RETURN m.version AS version, EXISTS { (m)-[:MADE]->(:Prediction)-[:WITHOUT]->(:Artifact) } AS evaluates_removals
"""

_OUTCOMES = """
UNWIND $projects AS id
MATCH (:Project {id: id})<-[:ABOUT]-(x:Prediction {task: 'outcome', model_version: $version})
CALL (x) {
  UNWIND $ids AS rid
  MATCH (x)-[w:WITHOUT]->(:Artifact {id: rid})
  RETURN collect([rid, w.change]) AS changes
}
RETURN id, x.score AS score, changes
"""

# Members of each project by id, at most $limit each, with the project's member count.
_MEMBERS = f"""
UNWIND $projects AS id
MATCH (p:Project {{id: id}})
CALL (p) {{
  MATCH (h:Person)-[m:MEMBER_OF]->(p)
  WITH h, m ORDER BY h.id LIMIT $limit
  RETURN collect({{person: {public_properties("h")}, roles: coalesce(m.roles, [])}}) AS members
}}
RETURN id, members, COUNT {{ (:Person)-[:MEMBER_OF]->(p) }} AS total
"""


def _lineage(direction: str, depth: int) -> str:
    upstream = direction == "upstream"
    pattern = (
        f"(r)-[:DERIVED_FROM*1..{int(depth)}]->(a:Artifact)"
        if upstream
        else f"(a:Artifact)-[:DERIVED_FROM*1..{int(depth)}]->(r)"
    )
    # `via` always runs from r to a.
    steps = "nodes(path)" if upstream else "reverse(nodes(path))"
    return f"""
MATCH (r:Artifact {{id: $id}})
MATCH path = {pattern}
WHERE a <> r
WITH a, path ORDER BY length(path), [n IN nodes(path) | n.id]
WITH a, head(collect([n IN {steps} | n.id])) AS via, min(length(path)) AS depth
WITH a, via, depth ORDER BY depth, a.name, a.id
WITH collect({{a: a, via: via, depth: depth}}) AS rows
CALL (rows) {{
  UNWIND rows[$skip..$skip + $limit] AS row
  WITH row, row.a AS a
  RETURN collect({{artifact: {public_properties("a")}, depth: row.depth, via: row.via}}) AS page
}}
RETURN size(rows) AS total, page
"""


_LINEAGE = {(direction, depth): _lineage(direction, depth) for direction in DIRECTIONS for depth in DEPTHS}


async def reached_projects(
    tx: neo4j.AsyncManagedTransaction, ids: list[str], depth: int, skip: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """A page of the projects reached from `ids` within `depth`, shallowest first, then by name:
    rows of project (node), depth, via (artifact ids, from the one used to the removed one) and
    removed_used (those of `ids` the project uses itself); and how many there are in all."""
    rows = await fetch_maps(tx, _PAGE[depth], ids=ids, skip=skip, limit=limit)
    return (rows[0]["page"], rows[0]["total"]) if rows else ([], 0)


async def totals(
    tx: neo4j.AsyncManagedTransaction, ids: list[str], depth: int, version: str | None
) -> list[dict[str, Any]]:
    """Per depth: projects reached, how many the outcome model `version` re-scores, and the sum
    of their predicted changes in success probability (null when none is re-scored)."""
    return await fetch(tx, _TOTALS[depth], ids=ids, version=version)


async def active_outcome_model(tx: neo4j.AsyncManagedTransaction) -> dict[str, Any] | None:
    """The active outcome model's version, and whether it published removal evaluations."""
    rows = await fetch(tx, _ACTIVE_OUTCOME_MODEL)
    return rows[0] if rows else None


async def outcomes(
    tx: neo4j.AsyncManagedTransaction, projects: list[str], ids: list[str], version: str
) -> dict[str, dict[str, Any]]:
    """Per project id with a prediction of `version`: score and `changes` ([artifact id, change]
    for each of `ids` it has an evaluation for)."""
    rows = await fetch(tx, _OUTCOMES, projects=projects, ids=ids, version=version)
    return {row["id"]: row for row in rows}


async def members(tx: neo4j.AsyncManagedTransaction, projects: list[str], limit: int) -> dict[str, dict[str, Any]]:
    """Per project id: up to `limit` members ({person, roles}, by person id) and the member total."""
    rows = await fetch_maps(tx, _MEMBERS, projects=projects, limit=limit)
    return {row["id"]: row for row in rows}


async def lineage(
    tx: neo4j.AsyncManagedTransaction, artifact_id: str, direction: str, depth: int, skip: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """A page of the artifacts `artifact_id` derives from (upstream) or that derive from it
    (downstream) within `depth` steps, nearest first: rows of artifact, depth and via."""
    rows = await fetch_maps(tx, _LINEAGE[(direction, depth)], id=artifact_id, skip=skip, limit=limit)
    return (rows[0]["page"], rows[0]["total"]) if rows else ([], 0)
