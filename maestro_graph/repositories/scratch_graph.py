"""Emptying a scratch graph: the throwaway Neo4j an evaluation imports bundles into, one after
the other. Never called on the service's graph (its callers start their own server)."""

from __future__ import annotations

import neo4j

# CALL { } IN TRANSACTIONS batches the delete; it must run outside an explicit transaction.
_CLEAR = "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"


def clear(driver: neo4j.Driver, database: str) -> None:
    """Delete every node and relationship; the schema (constraints, indexes) stays."""
    with driver.session(database=database) as session:
        session.run(_CLEAR).consume()
