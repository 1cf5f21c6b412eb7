"""What `import-mlflow` keeps beside the domain graph: the experiments it imported, with the
watermark each was read up to, and one record per run for the weekly figures.

    (:Project)-[:HAS_EXPERIMENT]->(:MlflowExperiment {id, server, experiment_id, name, watermark, imported_at})
    (:Project)-[:HAS_RUN]->(:MlflowRun {id, server, run_id, experiment, at, status, person, metric, value, goal})

An experiment's id is `server|experiment_id` and a run's `server|run_id`: MLflow's ids are
unique only on their own tracking server. The projects, people, artifacts and their
relationships an import implies are written through `nodes`, `edges` and `git_sources`.

A batch job's module (see the package's docstring): `experiment_states` runs its own
transaction; the others run in the importer's transaction, which writes one experiment's
runs and derived data and moves its watermark last.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import neo4j

from maestro_graph.db import parameters

EXPERIMENT_STATES = """
UNWIND $ids AS id
MATCH (e:MlflowExperiment {id: id})
RETURN e.id AS id, e.project_id AS project_id, e.watermark AS watermark
"""

# A project the import creates; one that exists keeps its name and everything else.
ENSURE_PROJECT = """
MERGE (p:Project {id: $project_id})
ON CREATE SET p.name = $name, p.created_at = $created_at, p.status = 'active', p.description = $description
"""

UPSERT_RUNS = """
MATCH (p:Project {id: $project_id})
UNWIND $rows AS row
MERGE (r:MlflowRun {id: row.id})
SET r.server = $server, r.run_id = row.run_id, r.experiment = $experiment, r.at = row.at, r.status = row.status,
    r.person = row.person, r.metric = row.metric, r.value = row.value, r.goal = row.goal
MERGE (p)-[:HAS_RUN]->(r)
"""

RUNS_SINCE = """
MATCH (:Project {id: $project_id})-[:HAS_RUN]->(r:MlflowRun)
WHERE r.at >= $since
RETURN r.at AS at, r.value AS value, r.goal AS goal
"""

RUN_SPAN = "MATCH (:Project {id: $project_id})-[:HAS_RUN]->(r:MlflowRun) RETURN max(r.at) AS last"

# Written last: until it moves, a failed import is simply read again from the old watermark.
MARK_IMPORTED = """
MATCH (p:Project {id: $project_id})
MERGE (e:MlflowExperiment {id: $id})
SET e.server = $server, e.experiment_id = $experiment_id, e.name = $name, e.project_id = $project_id,
    e.watermark = $watermark, e.imported_at = datetime()
MERGE (p)-[:HAS_EXPERIMENT]->(e)
"""


def experiment_states(driver: neo4j.Driver, database: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    """Per experiment record id imported before: the `project_id` it went to and its `watermark`."""
    records, _, _ = driver.execute_query(
        EXPERIMENT_STATES, ids=ids, database_=database, routing_=neo4j.RoutingControl.READ
    )
    return {record["id"]: record.data() for record in records}


def ensure_project(
    tx: neo4j.ManagedTransaction, project_id: str, name: str, description: str, created_at: datetime
) -> None:
    tx.run(ENSURE_PROJECT, project_id=project_id, name=name, description=description, created_at=created_at).consume()


def upsert_runs(
    tx: neo4j.ManagedTransaction, project_id: str, server: str, experiment: str, rows: list[dict[str, Any]]
) -> None:
    """Run records `rows` ({id, run_id, at, status, person, metric, value, goal}) of one experiment."""
    tx.run(
        UPSERT_RUNS, project_id=project_id, server=server, experiment=experiment, rows=parameters.rows(rows)
    ).consume()


def runs_since(tx: neo4j.ManagedTransaction, project_id: str, since: datetime) -> list[dict[str, Any]]:
    """The project's runs (of every experiment) started at or after `since`: `at`, `value`, `goal`."""
    return tx.run(RUNS_SINCE, project_id=project_id, since=since).data()


def last_run(tx: neo4j.ManagedTransaction, project_id: str) -> datetime | None:
    record = tx.run(RUN_SPAN, project_id=project_id).single(strict=True)
    return record["last"]


def mark_imported(
    tx: neo4j.ManagedTransaction,
    record_id: str,
    server: str,
    experiment_id: str,
    name: str,
    project_id: str,
    watermark: datetime,
) -> None:
    tx.run(
        MARK_IMPORTED,
        id=record_id,
        server=server,
        experiment_id=experiment_id,
        name=name,
        project_id=project_id,
        watermark=watermark,
    ).consume()
