"""The relationships: USES, MEMBER_OF, CREATED, DERIVED_FROM, IN_TEAM.

Each upsert takes rows carrying a `line` (the source row number for the importer, 0
for the API) and answers with one record: `rejected`, the lines whose endpoints do not
exist and so wrote nothing. Returning one record instead of one per row matters: at
bulk-import sizes, decoding per-row results cost the client more than Neo4j's work.
Repeating an upsert changes nothing.
"""

from __future__ import annotations

from typing import Any

import neo4j

from maestro_graph.db.graph import fetch


def _upsert(start: str, end: str, merge: str) -> str:
    """Match both endpoints, MERGE the edge where both exist, report the rows where not."""
    return f"""
UNWIND $rows AS row
OPTIONAL MATCH {start}
OPTIONAL MATCH {end}
WITH row, s, e, s IS NOT NULL AND e IS NOT NULL AS found
FOREACH (_ IN CASE WHEN found THEN [1] ELSE [] END | {merge})
RETURN collect(CASE WHEN NOT found THEN row.line END) AS rejected
"""


# USES carries the set of usage kinds seen (e.g. depends, recommends) so that two rows
# for one pair keep both facts; first/last use widen, count is replaced when given.
# ON CREATE takes the cheap path: most rows of a first import create their edge.
UPSERT_USES = _upsert("(s:Project {id: row.project_id})", "(e:Artifact {id: row.artifact_id})", """
  MERGE (s)-[u:USES]->(e)
  ON CREATE SET u.count = coalesce(row.count, 1),
    u.kinds = CASE WHEN row.kind IS NULL THEN [] ELSE [row.kind] END,
    u.context = row.context, u.first_used = row.used_at, u.last_used = row.used_at
  ON MATCH SET u.count = coalesce(row.count, u.count, 1),
    u.context = coalesce(row.context, u.context),
    u.kinds = CASE WHEN row.kind IS NULL OR row.kind IN u.kinds THEN u.kinds ELSE u.kinds + row.kind END,
    u.first_used = CASE WHEN u.first_used IS NULL OR row.used_at < u.first_used
                        THEN row.used_at ELSE u.first_used END,
    u.last_used = CASE WHEN u.last_used IS NULL OR row.used_at > u.last_used
                       THEN row.used_at ELSE u.last_used END""")

UPSERT_MEMBER = _upsert("(s:Person {id: row.person_id})", "(e:Project {id: row.project_id})", """
  MERGE (s)-[m:MEMBER_OF]->(e)
  ON CREATE SET m.roles = [row.role], m.since = row.since
  ON MATCH SET m.roles = CASE WHEN row.role IN m.roles THEN m.roles ELSE m.roles + row.role END,
    m.since = coalesce(m.since, row.since)""")

UPSERT_CREATED = _upsert("(s:Person {id: row.person_id})", "(e:Artifact {id: row.artifact_id})", """
  MERGE (s)-[c:CREATED]->(e) SET c.at = coalesce(c.at, row.at)""")

UPSERT_DERIVED = _upsert("(s:Artifact {id: row.artifact_id})", "(e:Artifact {id: row.source_id})", """
  MERGE (s)-[:DERIVED_FROM]->(e)""")

UPSERT_IN_TEAM = _upsert("(s:Person {id: row.person_id})", "(e:Team {id: row.team_id})", """
  MERGE (s)-[:IN_TEAM]->(e)""")

# Not an edge, but the same contract: set the outcome label where the project exists.
SET_OUTCOME = """
UNWIND $rows AS row
OPTIONAL MATCH (p:Project {id: row.project_id})
FOREACH (_ IN CASE WHEN p IS NULL THEN [] ELSE [1] END | SET p.success = row.success)
RETURN collect(CASE WHEN p IS NULL THEN row.line END) AS rejected
"""

DELETE = {
    "USES": "MATCH (:Project {id: $a})-[r:USES]->(:Artifact {id: $b}) DELETE r RETURN count(*) AS n",
    "MEMBER_OF": "MATCH (:Person {id: $a})-[r:MEMBER_OF]->(:Project {id: $b}) DELETE r RETURN count(*) AS n",
    "CREATED": "MATCH (:Person {id: $a})-[r:CREATED]->(:Artifact {id: $b}) DELETE r RETURN count(*) AS n",
    "DERIVED_FROM": "MATCH (:Artifact {id: $a})-[r:DERIVED_FROM]->(:Artifact {id: $b}) DELETE r RETURN count(*) AS n",
    "IN_TEAM": "MATCH (:Person {id: $a})-[r:IN_TEAM]->(:Team {id: $b}) DELETE r RETURN count(*) AS n",
}


async def upsert_one(tx: neo4j.AsyncManagedTransaction, query: str, row: dict[str, Any]) -> bool:
    """Write one edge; False when an endpoint does not exist."""
    rows = await fetch(tx, query, rows=[{"line": 0, **row}])
    return not rows[0]["rejected"]


async def delete(tx: neo4j.AsyncManagedTransaction, rel_type: str, a: str, b: str) -> bool:
    rows = await fetch(tx, DELETE[rel_type], a=a, b=b)
    return rows[0]["n"] > 0
