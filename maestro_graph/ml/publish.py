"""Writing a trained model's answers into the graph as a new, then active, model version.

Order matters for readers: predictions are written under the new version while the old
version is still active, the switch is one transaction, and only then are the old
version's predictions removed. A reader therefore sees one whole version or the other.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone

import neo4j

CREATE_MODEL = """
CREATE (m:Model {version: $version, task: $task, trained_at: datetime($trained_at),
                 metrics: $metrics, params: $params, active: false})
"""
# Ranked rows arrive grouped by project (k per project): each project is looked up once.
WRITE = {
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
CREATE (m)-[:MADE]->(:Prediction {task: 'outcome', model_version: $version, score: row.score})-[:ABOUT]->(p)
""",
    "impact": """
MATCH (m:Model {version: $version})
UNWIND $rows AS row
MATCH (a:Artifact {id: row.item})
CREATE (m)-[:MADE]->(:Prediction {task: 'impact', model_version: $version, score: row.score, rank: row.rank})-[:ABOUT]->(a)
""",
}
ACTIVATE = """
MATCH (m:Model {task: $task}) SET m.active = (m.version = $version)
"""
# Run outside an explicit transaction: CALL { } IN TRANSACTIONS batches big deletes.
DELETE_STALE = {
    "artifacts": "MATCH ()-[r:RECOMMENDED]->() WHERE r.model_version <> $version "
                 "CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS",
    "team": "MATCH ()-[r:SUGGESTED]->() WHERE r.model_version <> $version "
            "CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS",
    "outcome": "MATCH (x:Prediction {task: 'outcome'}) WHERE x.model_version <> $version "
               "CALL (x) { DETACH DELETE x } IN TRANSACTIONS OF 20000 ROWS",
    "impact": "MATCH (x:Prediction {task: 'impact'}) WHERE x.model_version <> $version "
              "CALL (x) { DETACH DELETE x } IN TRANSACTIONS OF 20000 ROWS",
}


@dataclass
class TaskResult:
    """One task's answers: rows with `item` (an id), `score`, and for ranked tasks
    `project`, `rank` (1 = best) and, for artifacts, `because` (ids)."""

    task: str
    rows: list[dict]
    metrics: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)


def new_version(task: str, when: datetime | None = None) -> str:
    when = when or datetime.now(timezone.utc)
    return f"{task}-{when.strftime('%Y%m%dT%H%M%S%fZ')}"


def _chunks(rows: list[dict], size: int) -> Iterator[list[dict]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


_PER_PROJECT = ("artifacts", "team")


def _by_project(rows: list[dict]) -> list[dict]:
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["project"], []).append({key: value for key, value in row.items() if key != "project"})
    return [{"project": project, "rows": items} for project, items in groups.items()]


def publish(driver: neo4j.Driver, database: str, result: TaskResult, batch_size: int = 5000) -> str:
    """Store `result` as a new active model version of its task; returns the version."""
    when = datetime.now(timezone.utc)
    version = new_version(result.task, when)
    driver.execute_query(
        CREATE_MODEL, version=version, task=result.task, trained_at=when.isoformat(),
        metrics=json.dumps(result.metrics, sort_keys=True), params=json.dumps(result.params, sort_keys=True),
        database_=database,
    )
    for chunk in _chunks(result.rows, batch_size):
        if result.task in _PER_PROJECT:
            driver.execute_query(WRITE[result.task], groups=_by_project(chunk), version=version, database_=database)
        else:
            driver.execute_query(WRITE[result.task], rows=chunk, version=version, database_=database)
    driver.execute_query(ACTIVATE, task=result.task, version=version, database_=database)
    with driver.session(database=database) as session:
        session.run(DELETE_STALE[result.task], version=version).consume()
    return version
