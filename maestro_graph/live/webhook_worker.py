"""Delivers outbox events to outgoing webhooks: one worker per replica, coordinated in Neo4j.

A worker claims webhooks that have events after their cursor, with a lease in the webhook's
node (`outgoing_webhooks.claim`), and sends their events one at a time, in sequence order.
After each attempt it commits the delivery record and the cursor together, and only while it
holds the lease. So:

- a restart resumes where delivery stopped: the cursor is in Neo4j, and a dead replica's
  lease runs out (`MAESTRO_WEBHOOK_LEASE_SECONDS`) and another takes over;
- two replicas never send the same webhook's events, since only one holds its lease;
- an event is never skipped: the cursor moves past it only once it was delivered or given up.

Nothing done over HTTP can commit together with Neo4j, though: a process killed after a
receiver got a POST and before its record committed sends that event again after the
restart, with the same `X-Maestro-Delivery` id, which receivers use to drop it. That is the
only repeat, and at most one event per webhook can be in that state.

A failed attempt (no answer, or a status other than 2xx; redirects are not followed) is
retried after a wait that doubles from `MAESTRO_WEBHOOK_BACKOFF_SECONDS`, held in Neo4j so
any replica can make the retry; after `MAESTRO_WEBHOOK_MAX_ATTEMPTS` the event is recorded as
failed and delivery moves on. A webhook whose last `MAESTRO_WEBHOOK_DISABLE_AFTER_FAILURES`
events all failed is disabled until someone enables it again (`enableWebhook`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from maestro_graph.config import Settings
from maestro_graph.db.graph import GraphDB
from maestro_graph.db.values import native
from maestro_graph.domain import InvalidInput
from maestro_graph.live import webhook_signing
from maestro_graph.live.event_filter import EventFilter
from maestro_graph.live.polling import Pacer, poll_forever
from maestro_graph.live.webhook_targets import check_target
from maestro_graph.repositories import event_outbox, outgoing_webhooks
from maestro_graph.secret_box import SecretBox

log = logging.getLogger("maestro_graph.webhooks")

CLAIM_LIMIT = 20
BATCH = 200


@dataclass(frozen=True)
class Attempt:
    status: str  # delivered | retrying | failed
    response_code: int | None
    latency_ms: float
    error: str | None


def delivery_id(webhook_id: str, event: dict[str, Any]) -> str:
    return f"{webhook_id}:{event['seq']}"


def payload(webhook_id: str, event: dict[str, Any]) -> bytes:
    at = native(event["at"])
    body = {
        "id": delivery_id(webhook_id, event),
        "webhookId": webhook_id,
        "event": {
            "sequence": event["seq"],
            "id": event["id"],
            "at": at.isoformat() if at is not None else None,
            "kind": event["action"],
            "targets": list(event.get("targets") or []),
            "changedFields": list(event.get("changed") or []),
            "projectIds": list(event.get("project_ids") or []),
            "artifactIds": list(event.get("artifact_ids") or []),
            "task": event.get("task"),
        },
    }
    return json.dumps(body, separators=(",", ":")).encode()


class WebhookWorker:
    def __init__(self, db: GraphDB, settings: Settings, box: SecretBox):
        self.db = db
        self.settings = settings
        self.box = box
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease_ms = int(settings.webhook_lease_seconds * 1000)
        self.pacer = Pacer(settings.events_poll_seconds, settings.events_idle_poll_seconds)
        self._task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None

    def start(self) -> None:
        if self.settings.webhook_lease_seconds <= self.settings.webhook_timeout_seconds:
            log.warning("MAESTRO_WEBHOOK_LEASE_SECONDS should exceed MAESTRO_WEBHOOK_TIMEOUT_SECONDS")
        self._client = httpx.AsyncClient(timeout=self.settings.webhook_timeout_seconds, follow_redirects=False)
        self._task = asyncio.create_task(
            poll_forever(self.tick, self.pacer, log, "webhooks", "a round of deliveries"),
            name="webhook-worker",
        )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client is not None:
            await self._client.aclose()

    def nudge(self) -> None:
        """Events were numbered: a round of deliveries is due."""
        self.pacer.nudge()

    async def tick(self) -> bool:
        claimed = await self.db.write(outgoing_webhooks.claim, self.owner, self.lease_ms, CLAIM_LIMIT)
        await asyncio.gather(*(self._serve(webhook) for webhook in claimed))
        return bool(claimed)

    async def _serve(self, webhook: dict[str, Any]) -> None:
        """Send `webhook` its events until it is caught up, waits for a retry, is disabled, or
        its lease was lost."""
        webhook_id = webhook["id"]
        wants = EventFilter(webhook.get("kinds"), webhook.get("project_ids"), webhook.get("artifact_ids"))
        secret = self.box.open(webhook["secret_sealed"])
        # `cursor`: the last event looked at; `committed`: the cursor as Neo4j holds it.
        cursor = committed = webhook["cursor"]
        attempts = webhook.get("attempts") or 0
        while True:
            events = await self.db.read(event_outbox.after, cursor, BATCH)
            for event in events:
                if not wants(event):
                    cursor = event["seq"]
                    continue
                if cursor != committed:
                    if not await self._skip_to(webhook_id, cursor):
                        return
                    committed = cursor
                attempt = await self._attempt(webhook, secret, event, attempts + 1)
                enabled = await self.db.write(
                    outgoing_webhooks.attempted,
                    id=webhook_id,
                    owner=self.owner,
                    delivery_id=delivery_id(webhook_id, event),
                    event_id=event["id"],
                    sequence=event["seq"],
                    kind=event["action"],
                    status=attempt.status,
                    attempts=attempts + 1,
                    response_code=attempt.response_code,
                    latency_ms=attempt.latency_ms,
                    error=attempt.error,
                    retry_in_ms=int(self.settings.webhook_backoff_seconds * 1000 * 2**attempts),
                    lease_ms=self.lease_ms,
                    disable_after=self.settings.webhook_disable_after_failures,
                )
                if not enabled or attempt.status == "retrying":
                    return
                cursor = committed = event["seq"]
                attempts = 0
            if len(events) < BATCH:
                if cursor != committed:
                    await self._skip_to(webhook_id, cursor)
                await self.db.write(outgoing_webhooks.release, webhook_id, self.owner)
                return

    async def _skip_to(self, webhook_id: str, cursor: int) -> bool:
        return await self.db.write(outgoing_webhooks.skip_to, webhook_id, self.owner, cursor, self.lease_ms)

    async def _attempt(self, webhook: dict[str, Any], secret: str, event: dict[str, Any], number: int) -> Attempt:
        assert self._client is not None
        body = payload(webhook["id"], event)
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "maestro-graph-webhooks",
            webhook_signing.DELIVERY_HEADER: delivery_id(webhook["id"], event),
            webhook_signing.EVENT_HEADER: event["action"],
            webhook_signing.TIMESTAMP_HEADER: str(timestamp),
            webhook_signing.SIGNATURE_HEADER: webhook_signing.signature(secret, timestamp, body),
        }
        started = time.perf_counter()
        code: int | None = None
        error: str | None = None
        try:
            await check_target(webhook["url"], self.settings.webhooks_allow_private_targets)
            response = await self._client.post(webhook["url"], content=body, headers=headers)
            code = response.status_code
        except InvalidInput as refused:
            error = refused.reason
        except httpx.HTTPError as failed:
            error = f"{type(failed).__name__}: {failed}"[:300]
        latency_ms = round((time.perf_counter() - started) * 1000, 1)
        if code is not None and 200 <= code < 300:
            return Attempt("delivered", code, latency_ms, None)
        status = "failed" if number >= self.settings.webhook_max_attempts else "retrying"
        return Attempt(status, code, latency_ms, error or f"answered {code}")
