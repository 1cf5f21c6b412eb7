"""Integrations that send webhooks, and the deliveries already processed.

    (:Integration {id: 'github:<owner>/<name>', kind, repository, project_id, secret_sealed,
                   deploy_workflows, created_at})
    (:WebhookDelivery {id, source, event, received_at, claim})

`secret_sealed` is the webhook secret encrypted (see maestro_graph.secret_box); only the
webhook endpoint reads it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import neo4j

from maestro_graph.db.graph import fetch, fetch_one

_PUBLIC = "i {.id, .kind, .repository, .project_id, .deploy_workflows, .created_at}"

CREATE = f"""
MATCH (p:Project {{id: $project_id}})
CREATE (i:Integration {{id: $id, kind: $kind, repository: $repository, project_id: $project_id,
                        secret_sealed: $secret_sealed, deploy_workflows: $deploy_workflows, created_at: datetime()}})
RETURN {_PUBLIC} AS integration
"""

EXISTS = "MATCH (i:Integration {id: $id}) RETURN count(i) > 0 AS found"

# The one read that returns the sealed secret: verifying a signature needs it.
GET_FOR_VERIFY = (
    "MATCH (i:Integration {id: $id}) RETURN i {.id, .project_id, .secret_sealed, .deploy_workflows} AS integration"
)

LIST = f"MATCH (i:Integration) RETURN {_PUBLIC} AS integration ORDER BY i.id"

REMOVE = f"MATCH (i:Integration {{id: $id}}) WITH i, {_PUBLIC} AS integration DELETE i RETURN integration"

# MERGE under the unique constraint: of two deliveries with one id, however close in time,
# exactly one finds its own claim token on the node.
CLAIM_DELIVERY = """
MERGE (d:WebhookDelivery {id: $id})
ON CREATE SET d.received_at = datetime(), d.source = $source, d.event = $event, d.claim = $claim
RETURN d.claim = $claim AS fresh
"""

PRUNE_DELIVERIES = """
MATCH (d:WebhookDelivery) WHERE d.received_at < $before
WITH d LIMIT $limit
DELETE d
"""


async def create(tx: neo4j.AsyncManagedTransaction, **row: Any) -> dict[str, Any] | None:
    """None when the project does not exist."""
    found = await fetch_one(tx, CREATE, **row)
    return found["integration"] if found else None


async def exists(tx: neo4j.AsyncManagedTransaction, integration_id: str) -> bool:
    return (await fetch(tx, EXISTS, id=integration_id))[0]["found"]


async def get_for_verify(tx: neo4j.AsyncManagedTransaction, integration_id: str) -> dict[str, Any] | None:
    row = await fetch_one(tx, GET_FOR_VERIFY, id=integration_id)
    return row["integration"] if row else None


async def list_all(tx: neo4j.AsyncManagedTransaction) -> list[dict[str, Any]]:
    return [row["integration"] for row in await fetch(tx, LIST)]


async def remove(tx: neo4j.AsyncManagedTransaction, integration_id: str) -> dict[str, Any] | None:
    row = await fetch_one(tx, REMOVE, id=integration_id)
    return row["integration"] if row else None


async def claim_delivery(
    tx: neo4j.AsyncManagedTransaction, delivery_id: str, source: str, event: str, claim: str
) -> bool:
    """True the first time a delivery id is seen; False for a duplicate."""
    row = await fetch_one(tx, CLAIM_DELIVERY, id=delivery_id, source=source, event=event, claim=claim)
    return bool(row and row["fresh"])


async def prune_deliveries(tx: neo4j.AsyncManagedTransaction, before: datetime, limit: int = 100) -> None:
    await fetch(tx, PRUNE_DELIVERIES, before=before, limit=limit)
