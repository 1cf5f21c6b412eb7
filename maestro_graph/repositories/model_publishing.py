"""Writing model versions and their predictions (a batch job: sync driver).

The shapes written here are those `repositories.predictions` reads for the API. Each
function takes the sync `neo4j.Driver` and the database; every write but `delete_stale`
is one managed transaction (retried on transient errors). The order that keeps readers
on one whole version is the caller's: create the model, write its answers, `activate`,
then `delete_stale`.

An outcome model version also keeps its portable model file (`ml/model_file.py`, bytes) in
`model_file`, so `predict` can score a graph with it and `models export` can hand it on.
"""

from __future__ import annotations

from typing import Any

import neo4j

from maestro_graph.db import parameters
from maestro_graph.repositories import audit

# The action of the event a newly active model version is announced by (`modelPublished`).
MODEL_PUBLISHED = "publishModel"

_CREATE_MODEL = """
CREATE (m:Model {version: $version, task: $task, trained_at: datetime($trained_at),
                 metrics: $metrics, params: $params, active: false, model_file: $model_file})
"""
# Ranked tasks write one row per (project, rank): rows are grouped by project so each
# project is looked up once.
RANKED_TASKS = ("artifacts", "team")
_WRITE = {
    "artifacts": """
UNWIND $groups AS g
MATCH (p:Project {id: g.project})
UNWIND g.rows AS row
MATCH (a:Artifact {id: row.item})
CREATE (p)-[:RECOMMENDED {model_version: $version, rank: row.rank, score: row.score, because: row.because}]->(a)
""",
    "team": """
UNWIND $groups AS g
MATCH (p:Project {id: g.project})
UNWIND g.rows AS row
MATCH (h:Person {id: row.item})
CREATE (p)-[:SUGGESTED {model_version: $version, rank: row.rank, score: row.score}]->(h)
""",
    "outcome": """
MATCH (m:Model {version: $version})
UNWIND $rows AS row
MATCH (p:Project {id: row.item})
CREATE (m)-[:MADE]->(x:Prediction {task: 'outcome', model_version: $version, score: row.score})-[:ABOUT]->(p)
WITH x, row
UNWIND range(0, size(coalesce(row.without_ids, [])) - 1) AS i
MATCH (a:Artifact {id: row.without_ids[i]})
CREATE (x)-[:WITHOUT {change: row.without_changes[i]}]->(a)
""",
    "impact": """
MATCH (m:Model {version: $version})
UNWIND $rows AS row
MATCH (a:Artifact {id: row.item})
CREATE (m)-[:MADE]->(:Prediction {task: 'impact', model_version: $version, score: row.score, rank: row.rank})
       -[:ABOUT]->(a)
""",
}
_ACTIVATE = """
MATCH (m:Model {task: $task}) SET m.active = (m.version = $version)
"""
# CALL { } IN TRANSACTIONS batches big deletes; it must run outside an explicit transaction.
_DELETE_STALE = {
    "artifacts": "MATCH ()-[r:RECOMMENDED]->() WHERE r.model_version <> $version "
    "CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS",
    "team": "MATCH ()-[r:SUGGESTED]->() WHERE r.model_version <> $version "
    "CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS",
    "outcome": "MATCH (x:Prediction {task: 'outcome'}) WHERE x.model_version <> $version "
    "CALL (x) { DETACH DELETE x } IN TRANSACTIONS OF 20000 ROWS",
    "impact": "MATCH (x:Prediction {task: 'impact'}) WHERE x.model_version <> $version "
    "CALL (x) { DETACH DELETE x } IN TRANSACTIONS OF 20000 ROWS",
}

# A version whose answers could not all be written: its answers, then its Model node.
_DISCARD = {
    "artifacts": "MATCH ()-[r:RECOMMENDED {model_version: $version}]->() "
    "CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS",
    "team": "MATCH ()-[r:SUGGESTED {model_version: $version}]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS",
    "outcome": "MATCH (x:Prediction {task: 'outcome', model_version: $version}) "
    "CALL (x) { DETACH DELETE x } IN TRANSACTIONS OF 20000 ROWS",
    "impact": "MATCH (x:Prediction {task: 'impact', model_version: $version}) "
    "CALL (x) { DETACH DELETE x } IN TRANSACTIONS OF 20000 ROWS",
}
_DISCARD_MODEL = "MATCH (m:Model {version: $version, active: false}) DETACH DELETE m"


def create_model(
    driver: neo4j.Driver,
    database: str,
    *,
    task: str,
    version: str,
    trained_at: str,
    metrics: str,
    params: str,
    model_file: bytes | None = None,
) -> None:
    """A new, inactive Model node; `trained_at` is ISO 8601, `metrics` and `params` are JSON text,
    `model_file` the portable model file when the version has one."""
    driver.execute_query(
        _CREATE_MODEL,
        version=version,
        task=task,
        trained_at=trained_at,
        metrics=metrics,
        params=params,
        model_file=model_file,
        database_=database,
    )


_MODEL_FILE = """
MATCH (m:Model {version: $version})
RETURN m.task AS task, m.model_file AS model_file
"""
_ACTIVE_MODEL_FILE = """
MATCH (m:Model {task: $task, active: true})
RETURN m.version AS version, m.model_file AS model_file
"""


def model_file(driver: neo4j.Driver, database: str, version: str) -> tuple[str, bytes | None] | None:
    """(task, model file or None) of the model version, or None when there is no such version."""
    records = driver.execute_query(_MODEL_FILE, version=version, database_=database).records
    return (records[0]["task"], records[0]["model_file"]) if records else None


def active_model_file(driver: neo4j.Driver, database: str, task: str) -> tuple[str, bytes | None] | None:
    """(version, model file or None) of the task's active version, or None when it has none."""
    records = driver.execute_query(_ACTIVE_MODEL_FILE, task=task, database_=database).records
    return (records[0]["version"], records[0]["model_file"]) if records else None


def _by_project(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["project"], []).append({key: value for key, value in row.items() if key != "project"})
    return [{"project": project, "rows": items} for project, items in groups.items()]


def write_answers(driver: neo4j.Driver, database: str, task: str, version: str, rows: list[dict[str, Any]]) -> None:
    """One transaction of `task`'s answers under `version`: rows with `item` and `score`, and for
    ranked tasks `project`, `rank` and (artifacts) `because`; impact rows carry `rank` too, and
    outcome rows may carry `without_ids` and `without_changes` (see `predictions`)."""
    if task in RANKED_TASKS:
        driver.execute_query(
            _WRITE[task], groups=parameters.rows(_by_project(rows)), version=version, database_=database
        )
    else:
        driver.execute_query(_WRITE[task], rows=parameters.rows(rows), version=version, database_=database)


def activate(driver: neo4j.Driver, database: str, task: str, version: str) -> None:
    """Make `version` the one active model of `task`, in one transaction with its event."""

    def work(tx: neo4j.ManagedTransaction) -> None:
        tx.run(_ACTIVATE, task=task, version=version).consume()
        audit.record_batch_event(
            tx, action=MODEL_PUBLISHED, actor="system:model-publishing", targets=[version], task=task
        )

    with driver.session(database=database) as session:
        session.execute_write(work)


def discard(driver: neo4j.Driver, database: str, task: str, version: str) -> None:
    """Remove an inactive `version` of `task` and whatever of its answers were written."""
    with driver.session(database=database) as session:
        session.run(_DISCARD[task], version=version).consume()
    driver.execute_query(_DISCARD_MODEL, version=version, database_=database)


def delete_stale(driver: neo4j.Driver, database: str, task: str, version: str) -> None:
    """Remove `task`'s predictions of every version but `version` (their Model nodes stay as history)."""
    with driver.session(database=database) as session:
        session.run(_DELETE_STALE[task], version=version).consume()
