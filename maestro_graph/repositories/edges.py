"""The relationships: USES, MEMBER_OF, CREATED, DERIVED_FROM, IN_TEAM.

Each upsert takes rows carrying a `line` (the source row number for the importer, 0
for the API) and answers with one record: `rejected`, the lines whose endpoints do not
exist and so wrote nothing. Returning one record instead of one per row matters: at
bulk-import sizes, decoding per-row results cost the client more than Neo4j's work.
Repeating an upsert changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import neo4j

from maestro_graph.db import parameters
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


# What the first row of a pair sets on its new edge: the ON CREATE branch (or the one SET) of
# the properties above, evaluated in Python, for a writer that builds a new store outside Neo4j
# (`ingest/offline_import.py`). Every later row of a pair goes through UPSERT itself, so only
# the creating branch is restated here; tests/test_offline_import.py holds the two together.
def _uses_created(row: dict[str, Any]) -> dict[str, Any]:
    kind = row.get("kind")
    count = row.get("count")
    return {
        "count": 1 if count is None else count,
        "kinds": [] if kind is None else [kind],
        "context": row.get("context"),
        "first_used": row.get("used_at"),
        "last_used": row.get("used_at"),
    }


def _member_created(row: dict[str, Any]) -> dict[str, Any]:
    return {"roles": [row.get("role")], "since": row.get("since")}


def _created_created(row: dict[str, Any]) -> dict[str, Any]:
    return {"at": row.get("at")}


def _no_properties(row: dict[str, Any]) -> dict[str, Any]:
    return {}


class _Shape(NamedTuple):
    rel: RelationshipType
    start_key: str  # the row key naming the start node's id
    end_key: str  # and the end node's
    properties: str  # what a write sets on the edge (Cypher)
    created: Callable[[dict[str, Any]], dict[str, Any]]  # what the write that creates it sets (Python)


# Each relationship: its row keys for the start and end node, and what a write sets on the edge.
_SHAPES: dict[str, _Shape] = {
    USES.name: _Shape(USES, "project_id", "artifact_id", _USES_PROPERTIES, _uses_created),
    MEMBER_OF.name: _Shape(MEMBER_OF, "person_id", "project_id", _MEMBER_PROPERTIES, _member_created),
    CREATED.name: _Shape(CREATED, "person_id", "artifact_id", _CREATED_PROPERTIES, _created_created),
    DERIVED_FROM.name: _Shape(DERIVED_FROM, "artifact_id", "source_id", "", _no_properties),
    IN_TEAM.name: _Shape(IN_TEAM, "person_id", "team_id", "", _no_properties),
}

UPSERT = {name: _upsert(s.rel, s.start_key, s.end_key, s.properties) for name, s in _SHAPES.items()}
UPSERT_USES = UPSERT[USES.name]
LINK = {name: _link(s.rel, s.start_key, s.end_key, s.properties) for name, s in _SHAPES.items()}
# The row keys of each relationship's start and end node ids.
ENDPOINT_KEYS = {name: (shape.start_key, shape.end_key) for name, shape in _SHAPES.items()}

# Properties set on an edge found by its endpoints' ids (`start`, `end`): what a new store's
# writer could not put in the store itself (see `ingest/offline_import.py`).
SET_PROPERTIES = {
    name: f"""
UNWIND $rows AS row
MATCH (:{shape.rel.start.label} {{id: row.start}})-[x:{name}]->(:{shape.rel.end.label} {{id: row.end}})
SET x += row.props
"""
    for name, shape in _SHAPES.items()
}


def created_properties(rel: RelationshipType, row: dict[str, Any]) -> dict[str, Any]:
    """The properties UPSERT gives the edge that `row` (a parsed bundle row) creates; None
    values are properties it leaves unset."""
    return _SHAPES[rel.name].created(row)


# Not an edge, but the same contract: set the outcome label where the project exists.
SET_OUTCOME = """
UNWIND $rows AS row
OPTIONAL MATCH (p:Project {id: row.project_id})
FOREACH (_ IN CASE WHEN p IS NULL THEN [] ELSE [1] END | SET p.success = row.success)
RETURN collect(CASE WHEN p IS NULL THEN row.line END) AS rejected
"""


def outcome_properties(row: dict[str, Any]) -> dict[str, Any]:
    """What SET_OUTCOME sets on the project of `row`, for a writer outside Neo4j."""
    return {"success": row["success"]}


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
    answer = await fetch(tx, UPSERT[rel.name], rows=parameters.rows(rows))
    return answer[0]["rejected"]


async def delete(tx: neo4j.AsyncManagedTransaction, rel: RelationshipType, a: str, b: str) -> bool:
    """Delete the `rel` edge from node `a` to node `b`; False when there was none."""
    rows = await fetch(tx, DELETE[rel.name], a=a, b=b)
    return rows[0]["n"] > 0


# --- batch jobs (the bundle importer, the demo seed), in the job's transaction -------------


def upsert_rows(tx: neo4j.ManagedTransaction, rel: RelationshipType, rows: list[dict[str, Any]]) -> list[int]:
    """`rows` as `rel` edges; the `line`s of those with an endpoint missing, which wrote nothing."""
    return tx.run(UPSERT[rel.name], rows=parameters.rows(rows)).single(strict=True)["rejected"]


def set_outcomes(tx: neo4j.ManagedTransaction, rows: list[dict[str, Any]]) -> list[int]:
    """Each row's `success` on its project; the `line`s of rows whose project is missing."""
    return tx.run(SET_OUTCOME, rows=parameters.rows(rows)).single(strict=True)["rejected"]


def set_properties_rows(tx: neo4j.ManagedTransaction, rel: RelationshipType, rows: list[dict[str, Any]]) -> None:
    """`rows` of {start, end, props}: `props` set on the `rel` edge between those ids."""
    tx.run(SET_PROPERTIES[rel.name], rows=parameters.rows(rows)).consume()
