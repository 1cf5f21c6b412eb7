"""The relationships: USES, MEMBER_OF, CREATED, DERIVED_FROM, IN_TEAM.

Each upsert takes rows carrying a `line` (the source row number for the importer, 0
for the API) and answers with one record: `rejected`, the lines whose endpoints do not
exist and so wrote nothing. Returning one record instead of one per row matters: at
bulk-import sizes, decoding per-row results cost the client more than Neo4j's work.
Repeating an upsert changes nothing.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import neo4j

from maestro_graph.db.graph import fetch, fetch_maps
from maestro_graph.graph_model import (
    CREATED,
    DERIVED_FROM,
    IN_TEAM,
    MEMBER_OF,
    RELATIONSHIP_TYPES,
    USES,
    RelationshipType,
)
from maestro_graph.repositories.nodes import public_properties


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


def _link(rel: RelationshipType, start_key: str, end_key: str, properties: str = "") -> str:
    """The API's form of `_upsert` for one row: the same MERGE and `properties`, answering with
    both endpoints and the edge as written (no row when an endpoint does not exist), so the
    mutation's answer costs no further queries."""
    return f"""
UNWIND $rows AS row
MATCH (s:{rel.start.label} {{id: row.{start_key}}})
MATCH (e:{rel.end.label} {{id: row.{end_key}}})
MERGE (s)-[x:{rel.name}]->(e){properties}
RETURN {public_properties("s")} AS start, {public_properties("e")} AS end, properties(x) AS rel
"""


# USES carries the set of usage kinds seen (e.g. depends, recommends) so that two rows
# for one pair keep both facts; first/last use widen, count is replaced when given.
# ON CREATE takes the cheap path: most rows of a first import create their edge.
_USES_PROPERTIES = """
  ON CREATE SET x.count = coalesce(row.count, 1),
    x.kinds = CASE WHEN row.kind IS NULL THEN [] ELSE [row.kind] END,
    x.context = row.context, x.first_used = row.used_at, x.last_used = row.used_at
  ON MATCH SET x.count = coalesce(row.count, x.count, 1),
    x.context = coalesce(row.context, x.context),
    x.kinds = CASE WHEN row.kind IS NULL OR row.kind IN x.kinds THEN x.kinds ELSE x.kinds + row.kind END,
    x.first_used = CASE WHEN x.first_used IS NULL OR row.used_at < x.first_used
                        THEN row.used_at ELSE x.first_used END,
    x.last_used = CASE WHEN x.last_used IS NULL OR row.used_at > x.last_used
                       THEN row.used_at ELSE x.last_used END"""

_MEMBER_PROPERTIES = """
  ON CREATE SET x.roles = [row.role], x.since = row.since
  ON MATCH SET x.roles = CASE WHEN row.role IN x.roles THEN x.roles ELSE x.roles + row.role END,
    x.since = coalesce(x.since, row.since)"""

_CREATED_PROPERTIES = """
  SET x.at = coalesce(x.at, row.at)"""

# Each relationship: its row keys for the start and end node, and what a write sets on the edge.
_SHAPES: dict[str, tuple[RelationshipType, str, str, str]] = {
    USES.name: (USES, "project_id", "artifact_id", _USES_PROPERTIES),
    MEMBER_OF.name: (MEMBER_OF, "person_id", "project_id", _MEMBER_PROPERTIES),
    CREATED.name: (CREATED, "person_id", "artifact_id", _CREATED_PROPERTIES),
    DERIVED_FROM.name: (DERIVED_FROM, "artifact_id", "source_id", ""),
    IN_TEAM.name: (IN_TEAM, "person_id", "team_id", ""),
}

UPSERT = {name: _upsert(*shape) for name, shape in _SHAPES.items()}
UPSERT_USES = UPSERT[USES.name]
LINK = {name: _link(*shape) for name, shape in _SHAPES.items()}

# Not an edge, but the same contract: set the outcome label where the project exists.
SET_OUTCOME = """
UNWIND $rows AS row
OPTIONAL MATCH (p:Project {id: row.project_id})
FOREACH (_ IN CASE WHEN p IS NULL THEN [] ELSE [1] END | SET p.success = row.success)
RETURN collect(CASE WHEN p IS NULL THEN row.line END) AS rejected
"""


def _one_edge(rel: RelationshipType, then: str) -> str:
    """The `rel` edge `r` from the start node of id $a to the end node of id $b, then `then`."""
    return f"MATCH (:{rel.start.label} {{id: $a}})-[r:{rel.name}]->(:{rel.end.label} {{id: $b}}) {then}"


DELETE = {rel.name: _one_edge(rel, "DELETE r RETURN count(*) AS n") for rel in RELATIONSHIP_TYPES}


class Linked(NamedTuple):
    """An edge as the API wrote it: the public properties of both endpoints, and its own."""

    start: dict[str, Any]
    end: dict[str, Any]
    rel: dict[str, Any]


async def upsert_one(tx: neo4j.AsyncManagedTransaction, rel: RelationshipType, row: dict[str, Any]) -> Linked | None:
    """Write one `rel` edge as an imported row would be; None when an endpoint does not exist."""
    rows = await fetch_maps(tx, LINK[rel.name], rows=[row])
    return Linked(rows[0]["start"], rows[0]["end"], rows[0]["rel"]) if rows else None


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


# --- batch jobs (the bundle importer, the demo seed), in the job's transaction -------------


def upsert_rows(tx: neo4j.ManagedTransaction, rel: RelationshipType, rows: list[dict[str, Any]]) -> list[int]:
    """`rows` as `rel` edges; the `line`s of those with an endpoint missing, which wrote nothing."""
    return tx.run(UPSERT[rel.name], rows=rows).single(strict=True)["rejected"]


def set_outcomes(tx: neo4j.ManagedTransaction, rows: list[dict[str, Any]]) -> list[int]:
    """Each row's `success` on its project; the `line`s of rows whose project is missing."""
    return tx.run(SET_OUTCOME, rows=rows).single(strict=True)["rejected"]
