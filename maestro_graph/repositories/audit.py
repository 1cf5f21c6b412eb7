"""The audit trail: one AuditEvent per successful write, written in the write's own
transaction (so there is never a change without its event, nor an event without its
change), and filtered pages of events, newest first.

`record` is also the one place live events are born: the event is the outbox row of the
write. It is created with the `PendingEvent` label and without a sequence number;
`event_outbox.sequence` numbers committed events afterwards (see there for why the write
itself takes no counter). An event names the projects and artifacts it concerns, so
subscribers and webhooks can filter without reading the graph again.

Events name the fields that changed, never their values: values can be personal data
(e-mail hashes, free text) that an audit reader need not see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import neo4j

from maestro_graph.db.graph import fetch

# The properties an event carries come from `Event`; the server adds its id and time (a null
# property is not stored). The projects and artifacts among the targets, when the caller did
# not say: a node deleted by the write is no longer there to be found, so writes that know
# their labels pass them.
RECORD_MANY = """
UNWIND $events AS event
CREATE (e:AuditEvent:PendingEvent {id: randomUUID(), at: datetime()})
SET e += event
SET e.project_ids = coalesce(event.project_ids, [id IN event.targets WHERE EXISTS { (:Project {id: id}) }]),
    e.artifact_ids = coalesce(event.artifact_ids, [id IN event.targets WHERE EXISTS { (:Artifact {id: id}) }])
"""

# Every clause is inert when its parameter is null.
_WHERE = """
WHERE ($actor IS NULL OR e.actor = $actor)
  AND ($client_id IS NULL OR e.client_id = $client_id)
  AND ($action IS NULL OR e.action = $action)
  AND ($target IS NULL OR $target IN e.targets)
  AND ($since IS NULL OR e.at >= $since)
  AND ($until IS NULL OR e.at < $until)
"""

PAGE = f"""
MATCH (e:AuditEvent) {_WHERE}
WITH e ORDER BY e.at DESC, e.id DESC
SKIP $skip LIMIT $limit
RETURN e {{.*}} AS event
"""

COUNT = f"MATCH (e:AuditEvent) {_WHERE} RETURN count(e) AS total"


@dataclass(frozen=True)
class Event:
    """What one AuditEvent says: the one declaration of its shape, for `record` and `record_many`."""

    action: str
    actor: str
    client_id: str | None
    person_id: str | None
    targets: list[str]
    changed: list[str]
    project_ids: list[str] | None = None
    artifact_ids: list[str] | None = None
    task: str | None = None


@dataclass(frozen=True)
class AuditFilter:
    actor: str | None = None
    client_id: str | None = None
    action: str | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def record(
    tx: neo4j.AsyncManagedTransaction,
    *,
    action: str,
    actor: str,
    client_id: str | None,
    person_id: str | None,
    targets: list[str],
    changed: list[str],
    project_ids: list[str] | None = None,
    artifact_ids: list[str] | None = None,
    task: str | None = None,
) -> None:
    """`project_ids`/`artifact_ids`: the targets that are projects and artifacts, when the
    caller knows them (None: found among the targets in the graph); `task`: the model task
    of a model event."""
    await record_many(
        tx, [Event(action, actor, client_id, person_id, targets, changed, project_ids, artifact_ids, task)]
    )


async def record_many(tx: neo4j.AsyncManagedTransaction, events: list[Event]) -> None:
    """One AuditEvent per item of `events`, in one round trip (a bulk write's items)."""
    if events:
        # vars(), not asdict(): asdict deep-copies every list, a third of a bulk write's time.
        await fetch(tx, RECORD_MANY, events=[vars(event) for event in events])


def record_batch_event(tx: neo4j.ManagedTransaction, *, action: str, actor: str, targets: list[str], task: str) -> None:
    """`record` for batch jobs (sync driver), in the job's transaction: a model version made active."""
    event = Event(action, actor, None, None, targets, [], project_ids=[], artifact_ids=[], task=task)
    tx.run(RECORD_MANY, events=[vars(event)]).consume()


async def page(
    tx: neo4j.AsyncManagedTransaction, filters: AuditFilter, skip: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    params = vars(filters)
    rows = await fetch(tx, PAGE, skip=skip, limit=limit, **params)
    total = (await fetch(tx, COUNT, **params))[0]["total"]
    return [row["event"] for row in rows], total
