"""The relationships: USES, MEMBER_OF, CREATED, DERIVED_FROM, IN_TEAM.

Each upsert takes rows carrying a `line` (the source row number for the importer, 0
for the API) and returns the lines it wrote: a row whose endpoints do not exist
writes nothing and is simply absent from the answer, which is how the importer
reports unknown ids without a second query. Repeating an upsert changes nothing.
"""

from __future__ import annotations

from typing import Any

import neo4j

from maestro_graph.db.graph import fetch

# USES carries the set of usage kinds seen (e.g. depends, recommends) so that two
# rows for one pair keep both facts; first/last use widen, count is replaced when given.
# ON CREATE takes the cheap path: most rows of a first import create their edge.
UPSERT_USES = """
UNWIND $rows AS row
MATCH (p:Project {id: row.project_id})
MATCH (a:Artifact {id: row.artifact_id})
MERGE (p)-[u:USES]->(a)
ON CREATE SET u.count = coalesce(row.count, 1),
    u.kinds = CASE WHEN row.kind IS NULL THEN [] ELSE [row.kind] END,
    u.context = row.context, u.first_used = row.used_at, u.last_used = row.used_at
ON MATCH SET u.count = coalesce(row.count, u.count, 1),
    u.context = coalesce(row.context, u.context),
    u.kinds = CASE WHEN row.kind IS NULL OR row.kind IN u.kinds THEN u.kinds ELSE u.kinds + row.kind END,
    u.first_used = CASE WHEN u.first_used IS NULL OR row.used_at < u.first_used
                        THEN row.used_at ELSE u.first_used END,
    u.last_used = CASE WHEN u.last_used IS NULL OR row.used_at > u.last_used
                       THEN row.used_at ELSE u.last_used END
RETURN row.line AS line
"""

UPSERT_MEMBER = """
UNWIND $rows AS row
MATCH (pe:Person {id: row.person_id})
MATCH (p:Project {id: row.project_id})
MERGE (pe)-[m:MEMBER_OF]->(p)
ON CREATE SET m.roles = [row.role], m.since = row.since
ON MATCH SET m.roles = CASE WHEN row.role IN m.roles THEN m.roles ELSE m.roles + row.role END,
    m.since = coalesce(m.since, row.since)
RETURN row.line AS line
"""

UPSERT_CREATED = """
UNWIND $rows AS row
MATCH (pe:Person {id: row.person_id})
MATCH (a:Artifact {id: row.artifact_id})
MERGE (pe)-[c:CREATED]->(a)
SET c.at = coalesce(c.at, row.at)
RETURN row.line AS line
"""

UPSERT_DERIVED = """
UNWIND $rows AS row
MATCH (a:Artifact {id: row.artifact_id})
MATCH (s:Artifact {id: row.source_id})
MERGE (a)-[:DERIVED_FROM]->(s)
RETURN row.line AS line
"""

UPSERT_IN_TEAM = """
UNWIND $rows AS row
MATCH (pe:Person {id: row.person_id})
MATCH (t:Team {id: row.team_id})
MERGE (pe)-[:IN_TEAM]->(t)
RETURN row.line AS line
"""

SET_OUTCOME = """
UNWIND $rows AS row
MATCH (p:Project {id: row.project_id})
SET p.success = row.success
RETURN row.line AS line
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
    return bool(rows)


async def delete(tx: neo4j.AsyncManagedTransaction, rel_type: str, a: str, b: str) -> bool:
    rows = await fetch(tx, DELETE[rel_type], a=a, b=b)
    return rows[0]["n"] > 0
