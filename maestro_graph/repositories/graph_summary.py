"""How much the graph holds, for `serve --demo`'s choice to seed and train a first graph and
for `restore`'s refusal to replace a graph that holds data (batch jobs: functions taking the
sync `neo4j.Driver` and the database, each one read in its own managed transaction)."""

from __future__ import annotations

from dataclasses import dataclass

import neo4j

# The schema's own records are there in every migrated graph; they are not data: applied
# migrations, and the live events' sequence counter that migration 0008 creates.
SCHEMA_RECORDS = ("Migration", "EventSequence")
_DATA_NODES = "RETURN COUNT { MATCH (n) WHERE none(label IN labels(n) WHERE label IN $records) } AS nodes"
_SUMMARY = "RETURN COUNT { (:Project) } AS projects, COUNT { (:Model {active: true}) } > 0 AS trained"


@dataclass(frozen=True)
class GraphSummary:
    projects: int
    # Whether some model version is active, i.e. the API has model answers to serve.
    trained: bool


def graph_summary(driver: neo4j.Driver, database: str) -> GraphSummary:
    records, _, _ = driver.execute_query(_SUMMARY, database_=database, routing_=neo4j.RoutingControl.READ)
    return GraphSummary(projects=records[0]["projects"], trained=records[0]["trained"])


def data_nodes(driver: neo4j.Driver, database: str) -> int:
    """Nodes in the graph besides the schema's own records (`SCHEMA_RECORDS`)."""
    records, _, _ = driver.execute_query(
        _DATA_NODES, records=list(SCHEMA_RECORDS), database_=database, routing_=neo4j.RoutingControl.READ
    )
    return int(records[0]["nodes"])
