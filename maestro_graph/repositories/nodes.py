"""Projects, artifacts, people and teams: upserts, deletes and lookups by id.

Writes take a list of rows and run one `UNWIND $rows` query, so the bulk importer
(thousands of rows) and the API (one row) share the same Cypher: the API through the
`async` functions, the importer and the demo seed through the batch ones at the end.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import neo4j

from maestro_graph.db import parameters
from maestro_graph.db.graph import fetch, fetch_maps
from maestro_graph.graph_model import NODE_TYPES

LABELS = tuple(node.label for node in NODE_TYPES)


def public_properties(variable: str) -> str:
    """`variable` as a map of its properties, for answers: embeddings are large and internal,
    never shipped to API callers."""
    return f"{variable} {{.*, embedding: null}}"


# Property names go into the query text (a map projection cannot take them as parameters), so
# only plain identifiers are accepted; the GraphQL layer derives them from its own types.
_PROPERTY = re.compile(r"^[a-z][a-z0-9_]*$")


def node_map(variable: str, names: tuple[str, ...] | None) -> str:
    """`variable` as a map of its id and the properties `names`, or of all its public
    properties when `names` is None."""
    if names is None:
        return public_properties(variable)
    bad = [name for name in names if not _PROPERTY.match(name)]
    if bad:
        raise ValueError(f"not property names: {bad}")
    return f"{variable} {{{', '.join(f'.{name}' for name in ('id', *sorted(set(names) - {'id'})))}}}"


_PROJECTION = public_properties("n")


def _upsert(label: str) -> str:
    return f"""
UNWIND $rows AS row
MERGE (n:{label} {{id: row.id}})
ON CREATE SET n.created_at = coalesce(row.created_at, datetime())
SET n += row.props
"""


UPSERT = {label: _upsert(label) for label in LABELS}


def created_properties(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The properties UPSERT gives the node that `row` ({id, props, created_at}) creates, with
    `now` as the write's datetime(), for a writer that builds a new store outside Neo4j
    (`ingest/offline_import.py`). None values are properties it leaves unset."""
    created_at = row.get("created_at")
    return {"created_at": now if created_at is None else created_at, **row["props"]}


# Properties set on nodes found by id: what a new store's writer could not put in the store
# itself (see `ingest/offline_import.py`).
SET_PROPERTIES = {label: f"UNWIND $rows AS row MATCH (n:{label} {{id: row.id}}) SET n += row.props" for label in LABELS}

# The API's upsert of one node answers with the node it wrote, in the same statement: a
# second query to read it back was a round trip to Neo4j on every write. (The batch form
# above returns nothing: returning nodes would slow bulk imports threefold.)
UPSERT_ONE = {
    label: f"""
MERGE (n:{label} {{id: $id}})
ON CREATE SET n.created_at = datetime()
SET n += $props
RETURN {_PROJECTION} AS node
"""
    for label in LABELS
}

GET_MANY = {label: f"UNWIND $ids AS id MATCH (n:{label} {{id: id}}) RETURN {_PROJECTION} AS node" for label in LABELS}

DELETE = {
    label: f"MATCH (n:{label} {{id: $id}}) WITH n, {_PROJECTION} AS node DETACH DELETE n RETURN node"
    for label in LABELS
}

EXISTING_IDS = {
    label: f"UNWIND $ids AS id MATCH (n:{label} {{id: id}}) RETURN collect(n.id) AS ids" for label in LABELS
}


async def upsert(tx: neo4j.AsyncManagedTransaction, label: str, node_id: str, props: dict[str, Any]) -> dict:
    """Create the `label` node `node_id` or set `props` on it; its public properties after the write."""
    rows = await fetch_maps(tx, UPSERT_ONE[label], id=node_id, props=props)
    return rows[0]["node"]


async def upsert_many(tx: neo4j.AsyncManagedTransaction, label: str, rows: list[dict[str, Any]]) -> None:
    """`rows` of {id, props, created_at} as `label` nodes, in one round trip (the API's bulk writes)."""
    await fetch(tx, UPSERT[label], rows=parameters.rows(rows))


async def get_many(tx: neo4j.AsyncManagedTransaction, label: str, ids: list[str]) -> dict[str, dict]:
    rows = await fetch_maps(tx, GET_MANY[label], ids=ids)
    return {row["node"]["id"]: row["node"] for row in rows}


async def existing_ids(tx: neo4j.AsyncManagedTransaction, label: str, ids: list[str]) -> list[str]:
    """Those of `ids` that name a `label` node."""
    rows = await fetch(tx, EXISTING_IDS[label], ids=ids)
    return rows[0]["ids"]


async def delete(tx: neo4j.AsyncManagedTransaction, label: str, node_id: str) -> dict | None:
    rows = await fetch(tx, DELETE[label], id=node_id)
    return rows[0]["node"] if rows else None


# --- batch jobs (the bundle importer, the demo seed), in the job's transaction -------------


def upsert_rows(tx: neo4j.ManagedTransaction, label: str, rows: list[dict[str, Any]]) -> None:
    """`rows` of {id, props, created_at} as `label` nodes: created, or their `props` set."""
    tx.run(UPSERT[label], rows=parameters.rows(rows)).consume()


def set_properties_rows(tx: neo4j.ManagedTransaction, label: str, rows: list[dict[str, Any]]) -> None:
    """`rows` of {id, props}: `props` set on the `label` node of that id."""
    tx.run(SET_PROPERTIES[label], rows=parameters.rows(rows)).consume()


def exists(tx: neo4j.ManagedTransaction, label: str, node_id: str) -> bool:
    return bool(tx.run(EXISTING_IDS[label], ids=[node_id]).single(strict=True)["ids"])


def existing(driver: neo4j.Driver, database: str, label: str, ids: list[str]) -> set[str]:
    """Those of `ids` that name a `label` node (its own read transaction)."""
    records, _, _ = driver.execute_query(
        EXISTING_IDS[label], ids=ids, database_=database, routing_=neo4j.RoutingControl.READ
    )
    return set(records[0]["ids"])
