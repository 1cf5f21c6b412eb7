"""Deployments, pipeline runs and the commits they ship, as CI/CD reports them.

    (:Project)-[:HAS_DEPLOYMENT]->(:Deployment {id, source, environment, production, state, state_at,
                                                outcome, started_at, finished_at, sha, ref, url, changes})
    (:Project)-[:HAS_PIPELINE_RUN]->(:PipelineRun {id, name, status, conclusion, sha, branch, event,
                                                   started_at, finished_at, updated_at, url})
    (:Commit {id: sha, at, batch})

A deployment's commits ("changes", for lead time) are the ones its sender listed, or else
the commits of the push whose head it deployed (`batch` on the head commit), as Google's
Four Keys project does. Commit nodes are shared with `import-git`, which fills in the
rest of what a commit is.

Webhooks can arrive out of order: a state older than the one stored does not replace it,
and `outcome` (success or failure) changes only with a newer final state.

The webhooks and the API use the `async` functions; model training reads DORA's
deployments through the batch one at the end.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import neo4j

from maestro_graph.cicd import Change, DeploymentEvent, PipelineRunEvent, PushEvent
from maestro_graph.db.graph import fetch

UPSERT_DEPLOYMENT = """
MATCH (p:Project {id: $project_id})
MERGE (d:Deployment {id: $id})
ON CREATE SET d.source = $source, d.created_at = datetime()
SET d.environment = $environment, d.production = $production,
    d.sha = coalesce($sha, d.sha), d.ref = coalesce($ref, d.ref), d.url = coalesce($url, d.url),
    d.started_at = coalesce(d.started_at, $started_at), d.changes = coalesce($changes, d.changes)
WITH p, d, d.state_at IS NULL OR $state_at >= d.state_at AS newer,
     $outcome IS NOT NULL AND (d.finished_at IS NULL OR $state_at >= d.finished_at) AS newer_outcome
SET d.state = CASE WHEN newer THEN $state ELSE d.state END,
    d.state_at = CASE WHEN newer THEN $state_at ELSE d.state_at END,
    d.outcome = CASE WHEN newer_outcome THEN $outcome ELSE d.outcome END,
    d.finished_at = CASE WHEN newer_outcome THEN $state_at ELSE d.finished_at END
MERGE (p)-[:HAS_DEPLOYMENT]->(d)
RETURN d.id AS id
"""

# A commit's time from CI is kept only until git says otherwise (import-git sets `at`).
COMMIT_TIMES = """
UNWIND $changes AS change
MERGE (c:Commit {id: change.sha})
SET c.at = coalesce(c.at, change.at)
"""

PUSH_BATCH = """
MERGE (head:Commit {id: $head})
SET head.batch = coalesce(head.batch, []) + [sha IN $shas WHERE NOT sha IN coalesce(head.batch, [])]
"""

UPSERT_PIPELINE_RUN = """
MATCH (p:Project {id: $project_id})
MERGE (r:PipelineRun {id: $id})
ON CREATE SET r.source = $source
WITH p, r, r.updated_at IS NULL OR $updated_at >= r.updated_at AS newer
SET r.name = CASE WHEN newer THEN $name ELSE r.name END,
    r.status = CASE WHEN newer THEN $status ELSE r.status END,
    r.conclusion = CASE WHEN newer THEN $conclusion ELSE r.conclusion END,
    r.sha = $sha, r.branch = $branch, r.event = $event, r.url = $url,
    r.started_at = coalesce(r.started_at, $started_at),
    r.finished_at = CASE WHEN newer AND $status = 'completed' THEN $updated_at ELSE r.finished_at END,
    r.updated_at = CASE WHEN newer THEN $updated_at ELSE r.updated_at END
MERGE (p)-[:HAS_PIPELINE_RUN]->(r)
RETURN r.id AS id
"""

# Production deployments that ended in the window, with the times of the commits each shipped.
DORA_DEPLOYMENTS = """
UNWIND $ids AS id
MATCH (:Project {id: id})-[:HAS_DEPLOYMENT]->(d:Deployment)
WHERE d.production AND d.outcome IS NOT NULL AND d.finished_at >= $since AND d.finished_at < $until
OPTIONAL MATCH (head:Commit {id: d.sha})
WITH id, d, CASE WHEN d.changes IS NOT NULL THEN d.changes
                 WHEN d.sha IS NULL THEN []
                 ELSE [d.sha] + [sha IN coalesce(head.batch, []) WHERE sha <> d.sha] END AS shas
CALL (shas) {
  UNWIND shas AS sha
  MATCH (c:Commit {id: sha}) WHERE c.at IS NOT NULL
  RETURN collect(c.at) AS change_times
}
RETURN id, d.id AS deployment_id, d.environment AS environment, d.outcome AS outcome,
       d.finished_at AS finished_at, change_times
ORDER BY d.finished_at, d.id
"""


def _changes(changes: tuple[Change, ...]) -> list[dict[str, Any]]:
    return [{"sha": change.sha, "at": change.at} for change in changes]


async def record_deployment(tx: neo4j.AsyncManagedTransaction, project_id: str, event: DeploymentEvent) -> bool:
    """False when the project does not exist (and nothing was written)."""
    if event.changes:
        await fetch(tx, COMMIT_TIMES, changes=_changes(event.changes))
    rows = await fetch(
        tx,
        UPSERT_DEPLOYMENT,
        project_id=project_id,
        id=event.deployment_id,
        source=event.source,
        environment=event.environment,
        production=event.production,
        sha=event.sha,
        ref=event.ref,
        url=event.url,
        started_at=event.started_at,
        changes=None if event.changes is None else [c.sha for c in event.changes],
        state=event.state,
        state_at=event.state_at,
        outcome=event.outcome,
    )
    return bool(rows)


async def record_push(tx: neo4j.AsyncManagedTransaction, event: PushEvent) -> None:
    await fetch(tx, COMMIT_TIMES, changes=_changes(event.commits))
    await fetch(tx, PUSH_BATCH, head=event.head, shas=[change.sha for change in event.commits])


async def record_pipeline_run(tx: neo4j.AsyncManagedTransaction, project_id: str, run: PipelineRunEvent) -> bool:
    if run.head_commit:
        await fetch(tx, COMMIT_TIMES, changes=_changes((run.head_commit,)))
    rows = await fetch(
        tx,
        UPSERT_PIPELINE_RUN,
        project_id=project_id,
        id=run.run_id,
        source="github",
        name=run.name,
        status=run.status,
        conclusion=run.conclusion,
        sha=run.sha,
        branch=run.branch,
        event=run.event,
        url=run.url,
        started_at=run.started_at,
        updated_at=run.updated_at,
    )
    return bool(rows)


async def dora_deployments(
    tx: neo4j.AsyncManagedTransaction, ids: list[str], since: datetime, until: datetime
) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {project_id: [] for project_id in ids}
    for row in await fetch(tx, DORA_DEPLOYMENTS, ids=ids, since=since, until=until):
        found[row["id"]].append(row)
    return found


def dora_deployment_rows(
    driver: neo4j.Driver, database: str, ids: list[str], since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """`dora_deployments` for a batch job (model training), in a read transaction of its own;
    the rows in the query's order."""
    records, _, _ = driver.execute_query(
        DORA_DEPLOYMENTS, ids=ids, since=since, until=until, database_=database, routing_=neo4j.RoutingControl.READ
    )
    return [record.data() for record in records]
