"""Sentence embeddings stored on project and artifact nodes (a batch job: sync driver).

Each embedded node keeps `embedding` (a float32 vector) and `embedding_key`, a hash of
the embedder and the text it embedded, so a run can tell which nodes changed since.
Each function takes the sync `neo4j.Driver` and the database and runs one query in its
own managed transaction.
"""

from __future__ import annotations

from typing import Any

import neo4j

from maestro_graph.db import parameters

EMBEDDED_LABELS = ("Project", "Artifact")

_STATE = {
    label: f"MATCH (n:{label}) RETURN n.id AS id, n.name AS name, n.description AS description, "
    f"n.embedding_key AS key ORDER BY n.id"
    for label in EMBEDDED_LABELS
}
# setNodeVectorProperty stores a float32 vector, half the size of a list of floats.
_WRITE = {
    label: f"""
UNWIND $rows AS row
MATCH (n:{label} {{id: row.id}})
CALL db.create.setNodeVectorProperty(n, 'embedding', row.vector)
SET n.embedding_key = row.key
"""
    for label in EMBEDDED_LABELS
}


def embedding_state(driver: neo4j.Driver, database: str, label: str) -> list[dict[str, Any]]:
    """Every node of `label` (one of EMBEDDED_LABELS), ordered by id: id, name, description and
    the `key` of its stored embedding (None when it has none)."""
    records, _, _ = driver.execute_query(_STATE[label], database_=database, routing_=neo4j.RoutingControl.READ)
    return [record.data() for record in records]


def write_embeddings(driver: neo4j.Driver, database: str, label: str, rows: list[dict[str, Any]]) -> None:
    """Store `rows` ({id, vector, key}) on the nodes of `label`, in one transaction."""
    driver.execute_query(_WRITE[label], rows=parameters.rows(rows), database_=database)
