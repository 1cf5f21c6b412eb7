"""Webhooks this service calls (`OutgoingWebhook`), each with its cursor in the event outbox,
its delivery lease and retry state, and a record per event delivered (`OutgoingDelivery`).
(`webhooks` is the other direction: CI/CD systems calling us.)

Delivery is claimed with a lease held in the webhook's node, so a replica that dies
mid-delivery is replaced once its lease runs out, and two replicas never deliver for the
same webhook at once. Claiming locks before it checks (see `claim`), so of two replicas
asking together, one gets the webhook and the other sees it taken. Every step of a delivery
commits the cursor and the delivery record together, and only for the lease's holder.

Functions take the API's `neo4j.AsyncManagedTransaction`.
"""

from __future__ import annotations

from typing import Any

import neo4j

from maestro_graph.db.graph import fetch, fetch_maps, fetch_one

_PUBLIC = "w {.*, secret_sealed: null, lease_owner: null, lease_until: null}"

_CREATE = f"""
OPTIONAL MATCH (c:EventSequence {{id: 'events'}})
CREATE (w:OutgoingWebhook {{id: $id, url: $url, kinds: $kinds, project_ids: $project_ids,
    artifact_ids: $artifact_ids, secret_sealed: $secret_sealed, created_by: $created_by, created_at: datetime(),
    enabled: true, cursor: coalesce(c.last, 0), attempts: 0, consecutive_failures: 0}})
RETURN {_PUBLIC} AS webhook
"""

_GET = f"MATCH (w:OutgoingWebhook {{id: $id}}) RETURN {_PUBLIC} AS webhook"

# Every clause is inert when its parameter is null.
_PAGE = f"""
MATCH (w:OutgoingWebhook) WHERE $created_by IS NULL OR w.created_by = $created_by
WITH w ORDER BY w.created_at DESC, w.id SKIP $skip LIMIT $limit
RETURN {_PUBLIC} AS webhook
"""
_COUNT = """
MATCH (w:OutgoingWebhook) WHERE $created_by IS NULL OR w.created_by = $created_by RETURN count(w) AS total
"""

_DELETE = """
MATCH (w:OutgoingWebhook {id: $id})
OPTIONAL MATCH (d:OutgoingDelivery {webhook_id: $id})
DETACH DELETE d, w
RETURN count(*) AS deleted
"""

_ENABLE = f"""
MATCH (w:OutgoingWebhook {{id: $id}})
SET w.enabled = true, w.disabled_reason = null, w.consecutive_failures = 0, w.attempts = 0, w.next_attempt_at = null
RETURN {_PUBLIC} AS webhook
"""

_DELIVERIES = """
MATCH (d:OutgoingDelivery {webhook_id: $id})
WITH d ORDER BY d.at DESC, d.sequence DESC SKIP $skip LIMIT $limit
RETURN d {.*} AS delivery
"""
_DELIVERY_COUNT = "MATCH (d:OutgoingDelivery {webhook_id: $id}) RETURN count(d) AS total"

_DUE = """
(w.enabled AND (w.lease_until IS NULL OR w.lease_until < datetime() OR w.lease_owner = $owner)
 AND (w.next_attempt_at IS NULL OR w.next_attempt_at <= datetime())
 AND EXISTS { MATCH (c:EventSequence {id: 'events'}) WHERE c.last > w.cursor })
"""

# The first statement takes the candidates' write locks; the second, run once they are held
# (after any other claimer has committed), checks them again on what is committed.
_LOCK_DUE = f"""
MATCH (w:OutgoingWebhook) WHERE {_DUE}
WITH w LIMIT $limit
SET w.claim_checked_at = datetime()
RETURN w.id AS id
"""
_CLAIM = f"""
MATCH (w:OutgoingWebhook) WHERE w.id IN $ids AND {_DUE}
SET w.lease_owner = $owner, w.lease_until = datetime() + duration({{milliseconds: $lease_ms}})
RETURN w {{.*}} AS webhook
"""

_SKIP_TO = """
MATCH (w:OutgoingWebhook {id: $id}) WHERE w.lease_owner = $owner
SET w.cursor = $sequence, w.lease_until = datetime() + duration({milliseconds: $lease_ms})
RETURN w.id AS id
"""

# One attempt at one event, recorded with what it did to the webhook: delivered or given up
# (the cursor moves past the event), or to be retried at `next_attempt_at` (the lease is let
# go, so whichever replica is free then takes it).
_ATTEMPTED = """
MATCH (w:OutgoingWebhook {id: $id}) WHERE w.lease_owner = $owner
MERGE (d:OutgoingDelivery {id: $delivery_id})
ON CREATE SET d.webhook_id = $id, d.event_id = $event_id, d.sequence = $sequence, d.kind = $kind
SET d.status = $status, d.attempts = $attempts, d.response_code = $response_code, d.latency_ms = $latency_ms,
    d.error = $error, d.at = datetime()
WITH w
SET w.cursor = CASE WHEN $status = 'retrying' THEN w.cursor ELSE $sequence END,
    w.attempts = CASE WHEN $status = 'retrying' THEN $attempts ELSE 0 END,
    w.next_attempt_at = CASE WHEN $status = 'retrying'
                             THEN datetime() + duration({milliseconds: $retry_in_ms}) END,
    w.consecutive_failures = CASE $status WHEN 'delivered' THEN 0 WHEN 'failed' THEN w.consecutive_failures + 1
                                  ELSE w.consecutive_failures END,
    w.lease_until = CASE WHEN $status = 'retrying' THEN null
                         ELSE datetime() + duration({milliseconds: $lease_ms}) END
WITH w
SET w.enabled = w.consecutive_failures < $disable_after,
    w.disabled_reason = CASE WHEN w.consecutive_failures >= $disable_after
                             THEN 'disabled after ' + toString(w.consecutive_failures) + ' failed events in a row'
                             ELSE w.disabled_reason END
RETURN w.enabled AS enabled
"""

_RELEASE = "MATCH (w:OutgoingWebhook {id: $id}) WHERE w.lease_owner = $owner SET w.lease_until = null"


async def create(tx: neo4j.AsyncManagedTransaction, **fields: Any) -> dict[str, Any]:
    """A new webhook, starting after the newest numbered event: it is sent what happens from now."""
    return (await fetch_maps(tx, _CREATE, **fields))[0]["webhook"]


async def get(tx: neo4j.AsyncManagedTransaction, webhook_id: str) -> dict[str, Any] | None:
    row = await fetch_one(tx, _GET, id=webhook_id)
    return row["webhook"] if row else None


async def page(
    tx: neo4j.AsyncManagedTransaction, created_by: str | None, skip: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    rows = await fetch_maps(tx, _PAGE, created_by=created_by, skip=skip, limit=limit)
    total = (await fetch(tx, _COUNT, created_by=created_by))[0]["total"]
    return [row["webhook"] for row in rows], total


async def delete(tx: neo4j.AsyncManagedTransaction, webhook_id: str) -> bool:
    """The webhook and its delivery records; False when there was none."""
    return (await fetch(tx, _DELETE, id=webhook_id))[0]["deleted"] > 0


async def enable(tx: neo4j.AsyncManagedTransaction, webhook_id: str) -> dict[str, Any] | None:
    row = await fetch_one(tx, _ENABLE, id=webhook_id)
    return row["webhook"] if row else None


async def deliveries(
    tx: neo4j.AsyncManagedTransaction, webhook_id: str, skip: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    rows = await fetch_maps(tx, _DELIVERIES, id=webhook_id, skip=skip, limit=limit)
    total = (await fetch(tx, _DELIVERY_COUNT, id=webhook_id))[0]["total"]
    return [row["delivery"] for row in rows], total


async def claim(tx: neo4j.AsyncManagedTransaction, owner: str, lease_ms: int, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` webhooks with events to deliver, leased to `owner` (secret included)."""
    ids = [row["id"] for row in await fetch(tx, _LOCK_DUE, owner=owner, limit=limit)]
    if not ids:
        return []
    return [row["webhook"] for row in await fetch_maps(tx, _CLAIM, ids=ids, owner=owner, lease_ms=lease_ms)]


async def skip_to(tx: neo4j.AsyncManagedTransaction, webhook_id: str, owner: str, sequence: int, lease_ms: int) -> bool:
    """Move the cursor past events the webhook does not want, renewing the lease; False when
    the lease was lost."""
    row = await fetch_one(tx, _SKIP_TO, id=webhook_id, owner=owner, sequence=sequence, lease_ms=lease_ms)
    return row is not None


async def attempted(tx: neo4j.AsyncManagedTransaction, **fields: Any) -> bool | None:
    """Record one attempt (see `_ATTEMPTED`); the webhook's `enabled` after it, or None when the
    lease was lost (nothing recorded)."""
    row = await fetch_one(tx, _ATTEMPTED, **fields)
    return None if row is None else bool(row["enabled"])


async def release(tx: neo4j.AsyncManagedTransaction, webhook_id: str, owner: str) -> None:
    await fetch(tx, _RELEASE, id=webhook_id, owner=owner)
