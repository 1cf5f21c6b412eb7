"""One delivery, one transaction: the delivery id is claimed and the event's effects are
written together, so a duplicate delivery writes nothing, and a delivery whose effects
fail is not remembered (the sender's retry is processed afresh)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import neo4j

from maestro_graph.db.graph import GraphDB
from maestro_graph.repositories import webhooks

Effects = Callable[[neo4j.AsyncManagedTransaction], Awaitable[None]]


class ProjectMissing(LookupError):
    """The project an event is for is not in the graph."""

    def __init__(self, project_id: str):
        super().__init__(f"project {project_id!r} does not exist")
        self.project_id = project_id


async def record(
    db: GraphDB, delivery_id: str | None, source: str, event: str, effects: Effects, retention: timedelta
) -> bool:
    """True when recorded, False for a delivery seen before. Raises what `effects` raises.

    Without a delivery id nothing is deduplicated here; the effects must then be
    idempotent by themselves (deployment upserts are)."""
    claim = uuid.uuid4().hex

    async def work(tx: neo4j.AsyncManagedTransaction) -> bool:
        if delivery_id is not None and not await webhooks.claim_delivery(tx, delivery_id, source, event, claim):
            return False
        await effects(tx)
        # Senders redeliver within hours; ids older than the retention need not be kept.
        await webhooks.prune_deliveries(tx, datetime.now(UTC) - retention)
        return True

    return await db.write(work)
