"""Metric time series of projects.

    (:Project)-[:HAS_METRIC]->(:Metric {id, name, value, at, period, source})

A Metric's id is `project|name|period` (e.g. `churn-model|commits|2025-W07`), so writing a
period again replaces its value: re-imports are idempotent.

The API reads through the `async` functions; `import-git` writes and model training reads
through the batch ones below them (see the package's docstring).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import neo4j

from maestro_graph.db import parameters
from maestro_graph.db.graph import fetch

UPSERT = """
MATCH (p:Project {id: $project_id})
UNWIND $rows AS row
MERGE (m:Metric {id: row.id})
SET m.name = row.name, m.value = row.value, m.at = row.at, m.period = row.period, m.source = $source
MERGE (p)-[:HAS_METRIC]->(m)
"""

# After a full recomputation, points the new series no longer has are stale.
DELETE_OTHERS = """
MATCH (:Project {id: $project_id})-[:HAS_METRIC]->(m:Metric {source: $source})
WHERE NOT m.id IN $keep
DETACH DELETE m
"""

# The newest point of each named series, for many projects at once.
LATEST = """
UNWIND $ids AS id
MATCH (:Project {id: id})-[:HAS_METRIC]->(m:Metric) WHERE m.name IN $names
WITH id, m ORDER BY m.at DESC
WITH id, m.name AS name, collect(m)[0] AS latest
RETURN id, name, latest.value AS value, latest.at AS at
"""

SERIES = """
UNWIND $ids AS id
MATCH (:Project {id: id})-[:HAS_METRIC]->(m:Metric {name: $name})
WHERE ($from IS NULL OR m.at >= $from) AND ($to IS NULL OR m.at <= $to)
WITH id, m ORDER BY m.at
WITH id, collect(m {.at, .value, .period})[..$limit] AS points
RETURN id, points
"""

# Latest values of many projects' series, for model features (sync driver, no request).
LATEST_ALL = """
MATCH (p:Project)-[:HAS_METRIC]->(m:Metric) WHERE p.id IN $ids AND m.name IN $names AND m.at <= $as_of
WITH p.id AS id, m ORDER BY m.at DESC
WITH id, m.name AS name, collect(m.value)[..$weeks] AS values
RETURN id, name, values
"""


async def latest(tx: neo4j.AsyncManagedTransaction, ids: list[str], names: list[str]) -> dict[str, dict[str, dict]]:
    """{project id: {metric name: {value, at}}}; a project without metrics is absent."""
    found: dict[str, dict[str, dict]] = {}
    for row in await fetch(tx, LATEST, ids=ids, names=names):
        found.setdefault(row["id"], {})[row["name"]] = {"value": row["value"], "at": row["at"]}
    return found


async def series(
    tx: neo4j.AsyncManagedTransaction,
    ids: list[str],
    name: str,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> dict[str, list[dict[str, Any]]]:
    rows = await fetch(tx, SERIES, ids=ids, name=name, limit=limit, **{"from": since, "to": until})
    return {row["id"]: row["points"] for row in rows}


# --- batch jobs -------------------------------------------------------------------------


def upsert(tx: neo4j.ManagedTransaction, project_id: str, rows: list[dict[str, Any]], source: str) -> None:
    """Points `rows` ({id, name, value, at, period}) of the project's series, from `source`."""
    tx.run(UPSERT, project_id=project_id, rows=parameters.rows(rows), source=source).consume()


def delete_others(tx: neo4j.ManagedTransaction, project_id: str, source: str, keep: list[str]) -> None:
    """After a full recomputation: the project's points from `source` other than `keep` go."""
    tx.run(DELETE_OTHERS, project_id=project_id, source=source, keep=keep).consume()


def recent_values(
    driver: neo4j.Driver, database: str, ids: list[str], names: list[str], as_of: datetime, weeks: int
) -> list[dict[str, Any]]:
    """Per project and named series: its last `weeks` values up to `as_of`, newest first."""
    records, _, _ = driver.execute_query(
        LATEST_ALL,
        ids=ids,
        names=names,
        as_of=as_of,
        weeks=weeks,
        database_=database,
        routing_=neo4j.RoutingControl.READ,
    )
    return [record.data() for record in records]
