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
from maestro_graph.graph_model import (
    CREATED,
    DERIVED_FROM,
    IN_TEAM,
    MEMBER_OF,
    RELATIONSHIP_TYPES,
    USES,
    RelationshipType,
)


def _upsert(rel: RelationshipType, start_key: str, end_key: str, properties: str = "") -> str:
    """Match both endpoints (`row[start_key]`, `row[end_key]`), MERGE the edge (bound to `x`)
    where both exist and apply `properties` to it, report the rows where not."""
    merge = f"MERGE (s)-[x:{rel.name}]->(e){properties}"
    return f"""
UNWIND $rows AS row
OPTIONAL MATCH (s:{rel.start.label} {{id: row.{start_key}}})
OPTIONAL MATCH (e:{rel.end.label} {{id: row.{end_key}}})
WITH row, s, e, s IS NOT NULL AND e IS NOT NULL AS found
FOREACH (_ IN CASE WHEN found THEN [1] ELSE [] END | {merge})
RETURN collect(CASE WHEN NOT found THEN row.line END) AS rejected
"""


# USES carries the set of usage kinds seen (e.g. depends, recommends) so that two rows
# for one pair keep both facts; first/last use widen, count is replaced when given.
# ON CREATE takes the cheap path: most rows of a first import create their edge.
UPSERT_USES = _upsert(
    USES,
    "project_id",
    "artifact_id",
    """
  ON CREATE SET x.count = coalesce(row.count, 1),
    x.kinds = CASE WHEN row.kind IS NULL THEN [] ELSE [row.kind] END,
    x.context = row.context, x.first_used = row.used_at, x.last_used = row.used_at
  ON MATCH SET x.count = coalesce(row.count, x.count, 1),
    x.context = coalesce(row.context, x.context),
    x.kinds = CASE WHEN row.kind IS NULL OR row.kind IN x.kinds THEN x.kinds ELSE x.kinds + row.kind END,
    x.first_used = CASE WHEN x.first_used IS NULL OR row.used_at < x.first_used
                        THEN row.used_at ELSE x.first_used END,
    x.last_used = CASE WHEN x.last_used IS NULL OR row.used_at > x.last_used
                       THEN row.used_at ELSE x.last_used END""",
)

UPSERT_MEMBER = _upsert(
    MEMBER_OF,
    "person_id",
    "project_id",
    """
  ON CREATE SET x.roles = [row.role], x.since = row.since
  ON MATCH SET x.roles = CASE WHEN row.role IN x.roles THEN x.roles ELSE x.roles + row.role END,
    x.since = coalesce(x.since, row.since)""",
)

UPSERT_CREATED = _upsert(
    CREATED,
    "person_id",
    "artifact_id",
    """
  SET x.at = coalesce(x.at, row.at)""",
)

UPSERT_DERIVED = _upsert(DERIVED_FROM, "artifact_id", "source_id")

UPSERT_IN_TEAM = _upsert(IN_TEAM, "person_id", "team_id")

# Not an edge, but the same contract: set the outcome label where the project exists.
SET_OUTCOME = """
UNWIND $rows AS row
OPTIONAL MATCH (p:Project {id: row.project_id})
FOREACH (_ IN CASE WHEN p IS NULL THEN [] ELSE [1] END | SET p.success = row.success)
RETURN collect(CASE WHEN p IS NULL THEN row.line END) AS rejected
"""

UPSERT = {
    USES.name: UPSERT_USES,
    MEMBER_OF.name: UPSERT_MEMBER,
    CREATED.name: UPSERT_CREATED,
    DERIVED_FROM.name: UPSERT_DERIVED,
    IN_TEAM.name: UPSERT_IN_TEAM,
}


def _one_edge(rel: RelationshipType, then: str) -> str:
    """The `rel` edge `r` from the start node of id $a to the end node of id $b, then `then`."""
    return f"MATCH (:{rel.start.label} {{id: $a}})-[r:{rel.name}]->(:{rel.end.label} {{id: $b}}) {then}"


DELETE = {rel.name: _one_edge(rel, "DELETE r RETURN count(*) AS n") for rel in RELATIONSHIP_TYPES}
PROPERTIES = {rel.name: _one_edge(rel, "RETURN properties(r) AS rel") for rel in RELATIONSHIP_TYPES}


async def upsert_one(tx: neo4j.AsyncManagedTransaction, rel: RelationshipType, row: dict[str, Any]) -> bool:
    """Write one `rel` edge as an imported row would be; False when an endpoint does not exist."""
    return not await upsert_many(tx, rel, [{"line": 0, **row}])


async def upsert_many(
    tx: neo4j.AsyncManagedTransaction, rel: RelationshipType, rows: list[dict[str, Any]]
) -> list[int]:
    """`rows` (each with its `line`) as `rel` edges in one round trip; the `line`s of those with
    an endpoint missing, which wrote nothing."""
    answer = await fetch(tx, UPSERT[rel.name], rows=rows)
    return answer[0]["rejected"]


async def delete(tx: neo4j.AsyncManagedTransaction, rel: RelationshipType, a: str, b: str) -> bool:
    """Delete the `rel` edge from node `a` to node `b`; False when there was none."""
    rows = await fetch(tx, DELETE[rel.name], a=a, b=b)
    return rows[0]["n"] > 0


async def properties(tx: neo4j.AsyncManagedTransaction, rel: RelationshipType, a: str, b: str) -> dict[str, Any]:
    """The properties of the `rel` edge from node `a` to node `b`, which must exist (e.g. a usage's count)."""
    rows = await fetch(tx, PROPERTIES[rel.name], a=a, b=b)
    return rows[0]["rel"]


# --- batch jobs (the bundle importer, the demo seed), in the job's transaction -------------


def upsert_rows(tx: neo4j.ManagedTransaction, rel: RelationshipType, rows: list[dict[str, Any]]) -> list[int]:
    """`rows` as `rel` edges; the `line`s of those with an endpoint missing, which wrote nothing."""
    return tx.run(UPSERT[rel.name], rows=rows).single(strict=True)["rejected"]


def set_outcomes(tx: neo4j.ManagedTransaction, rows: list[dict[str, Any]]) -> list[int]:
    """Each row's `success` on its project; the `line`s of rows whose project is missing."""
    return tx.run(SET_OUTCOME, rows=rows).single(strict=True)["rejected"]
