"""Outgoing webhooks in the API: create, list, delete, re-enable, and their delivery records.

Who may: an admin, any webhook; anyone else with the `write` scope, webhooks filtered to
projects they own (the `owner` role on each project of `filter.projectIds`), and then only
the webhooks they created. Delivery itself is `live.webhook_worker`'s.
"""

from __future__ import annotations

import abc
import secrets
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from maestro_graph import domain
from maestro_graph.auth import scopes
from maestro_graph.auth.permissions import Requires, Rule, forbidden, requires
from maestro_graph.auth.principal import Principal
from maestro_graph.db.values import native
from maestro_graph.domain import NotFound
from maestro_graph.graphql.audit import audited
from maestro_graph.graphql.connections import Connection, node_connection
from maestro_graph.graphql.subscriptions import MAX_FILTER_VALUES, GraphChangeFilter, event_filter
from maestro_graph.live.webhook_targets import check_target, valid_url
from maestro_graph.repositories import outgoing_webhooks, project_roles

LABEL = "OutgoingWebhook"
OWNER_ROLE = "owner"


@strawberry.type(description="A URL this service POSTs matching events to, signed (see the README).")
class OutgoingWebhook:
    id: strawberry.ID
    url: str
    events: list[str] = strawberry.field(description="The kinds of event sent; empty: every kind.")
    project_ids: list[str] = strawberry.field(description="Only events of these projects; empty: any.")
    artifact_ids: list[str] = strawberry.field(description="Only events of these artifacts; empty: any.")
    enabled: bool
    disabled_reason: str | None
    consecutive_failures: int = strawberry.field(description="Events given up in a row; reset by a delivery.")
    created_by: str
    created_at: datetime | None
    cursor: int = strawberry.field(description="The sequence of the last event handled.")

    @staticmethod
    def from_node(node: dict[str, Any]) -> OutgoingWebhook:
        return OutgoingWebhook(
            id=strawberry.ID(node["id"]),
            url=node["url"],
            events=list(node.get("kinds") or []),
            project_ids=list(node.get("project_ids") or []),
            artifact_ids=list(node.get("artifact_ids") or []),
            enabled=bool(node.get("enabled")),
            disabled_reason=node.get("disabled_reason"),
            consecutive_failures=node.get("consecutive_failures") or 0,
            created_by=node["created_by"],
            created_at=native(node.get("created_at")),
            cursor=node.get("cursor") or 0,
        )


@strawberry.type
class CreatedWebhook:
    webhook: OutgoingWebhook
    secret: str = strawberry.field(description="The signing secret: shown once, stored only sealed.")


@strawberry.type(description="One event sent (or being sent) to a webhook.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(description="As sent in X-Maestro-Delivery: the same on every attempt.")
    event_id: strawberry.ID
    sequence: int
    kind: str
    status: str = strawberry.field(description="delivered, retrying, or failed (given up).")
    attempts: int
    response_code: int | None
    latency_ms: float | None = strawberry.field(description="Of the last attempt.")
    error: str | None
    at: datetime | None = strawberry.field(description="Of the last attempt.")

    @staticmethod
    def from_node(node: dict[str, Any]) -> WebhookDelivery:
        return WebhookDelivery(
            id=strawberry.ID(node["id"]),
            event_id=strawberry.ID(node["event_id"]),
            sequence=node["sequence"],
            kind=node["kind"],
            status=node["status"],
            attempts=node["attempts"],
            response_code=node.get("response_code"),
            latency_ms=node.get("latency_ms"),
            error=node.get("error"),
            at=native(node.get("at")),
        )


def _principal(context: Any) -> Principal:
    principal = getattr(context, "principal", None)
    if principal is None:
        raise forbidden("authentication required")
    return principal


class _WebhookRule(Rule):
    def __init__(self, scope: str, roles: list[str] | None = None):
        self.scope = scope
        # Shown on the field in the SDL, as `permissions` does for its own rules.
        self._schema_directive = Requires(scope=scope, project_roles=roles)  # type: ignore[misc]

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        await self.authorize(info.context, info.field_name, kwargs)
        return True

    @abc.abstractmethod
    async def authorize(self, context: Any, field_name: str, arguments: Mapping[str, Any]) -> None:
        """Raises FORBIDDEN (or UNAUTHENTICATED) unless the caller may make this call."""


class MayCreateWebhook(_WebhookRule):
    """`admin`, or `write` and the owner role on every project the webhook is filtered to."""

    def __init__(self) -> None:
        super().__init__(scopes.WRITE, [OWNER_ROLE])

    async def authorize(self, context: Any, field_name: str, arguments: Mapping[str, Any]) -> None:
        principal = _principal(context)
        if principal.is_admin:
            return
        if not principal.has(scopes.WRITE):
            raise forbidden(f"{field_name} needs the '{scopes.WRITE}' scope")
        given = arguments.get("filter")
        projects = list(given.project_ids or []) if given is not None else []
        if not principal.person_id or not projects or len(projects) > MAX_FILTER_VALUES:
            raise forbidden(f"{field_name} needs the 'admin' scope, or a filter on projects you own")
        for project in projects:
            if OWNER_ROLE not in await context.db.read(project_roles.roles, principal.person_id, str(project)):
                raise forbidden(f"{field_name}: you are not an owner of project {str(project)!r}")


class OwnsWebhook(_WebhookRule):
    """`admin`, or `scope` and being the webhook's creator."""

    async def authorize(self, context: Any, field_name: str, arguments: Mapping[str, Any]) -> None:
        principal = _principal(context)
        if principal.is_admin:
            return
        if not principal.has(self.scope):
            raise forbidden(f"{field_name} needs the '{self.scope}' scope")
        webhook_id = arguments.get("id") or arguments.get("webhook_id")
        webhook = await context.db.read(outgoing_webhooks.get, str(webhook_id)) if webhook_id else None
        if webhook is not None and webhook["created_by"] != principal.actor:
            raise forbidden(f"{field_name}: only an admin or the webhook's creator may")


def _found(node: dict[str, Any] | None, webhook_id: str) -> dict[str, Any]:
    if node is None:
        raise NotFound(LABEL, webhook_id)
    return node


@strawberry.type
class WebhookQuery:
    @strawberry.field(description="Outgoing webhooks: all of them for an admin, your own for anyone else.")
    async def webhooks(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[OutgoingWebhook]:
        principal = _principal(info.context)
        win = info.context.window(first, after)
        created_by = None if principal.is_admin else principal.actor
        rows, total = await info.context.db.read(outgoing_webhooks.page, created_by, win.skip, win.limit)
        return node_connection(rows, total, win.skip, OutgoingWebhook.from_node)

    @strawberry.field(
        description="A webhook's deliveries, newest first (admin or its creator).",
        extensions=requires(OwnsWebhook(scopes.READ)),
    )
    async def webhook_deliveries(
        self, info: Info, webhook_id: strawberry.ID, first: int | None = None, after: str | None = None
    ) -> Connection[WebhookDelivery]:
        wanted = domain.valid_id(webhook_id, "webhookId")
        win = info.context.window(first, after)
        _found(await info.context.db.read(outgoing_webhooks.get, wanted), wanted)
        rows, total = await info.context.db.read(outgoing_webhooks.deliveries, wanted, win.skip, win.limit)
        return node_connection(rows, total, win.skip, WebhookDelivery.from_node)


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(
        description="Send every committed event matching `events` (kinds) and `filter` to `url`, signed with "
        "the secret this answers once (admin, or the owner of each project in filter.projectIds).",
        extensions=requires(MayCreateWebhook()),
    )
    async def create_webhook(
        self, info: Info, url: str, events: list[str] | None = None, filter: GraphChangeFilter | None = None
    ) -> CreatedWebhook | None:
        url = valid_url(url)
        wanted = event_filter(filter)
        kinds = sorted(set(event_filter(GraphChangeFilter(kinds=events)).kinds or ()) | set(wanted.kinds or ()))
        await check_target(url, info.context.settings.webhooks_allow_private_targets)
        webhook_id, secret = str(uuid.uuid4()), secrets.token_urlsafe(32)
        box = info.context.request.app.state.webhooks.box
        principal = _principal(info.context)
        fields = {
            "id": webhook_id,
            "url": url,
            "kinds": kinds,
            "project_ids": sorted(wanted.project_ids or ()),
            "artifact_ids": sorted(wanted.artifact_ids or ()),
            "secret_sealed": box.seal(secret),
            "created_by": principal.actor,
        }

        async def work(tx):
            return await outgoing_webhooks.create(tx, **fields)

        node = await info.context.db.write(audited(info, work, [webhook_id], ["url", "events", "filter"], [LABEL]))
        return CreatedWebhook(webhook=OutgoingWebhook.from_node(node), secret=secret)

    @strawberry.mutation(
        description="Delete a webhook and its delivery records (admin or its creator).",
        extensions=requires(OwnsWebhook(scopes.WRITE)),
    )
    async def delete_webhook(self, info: Info, id: strawberry.ID) -> OutgoingWebhook | None:
        webhook_id = domain.valid_id(id)

        async def work(tx):
            node = _found(await outgoing_webhooks.get(tx, webhook_id), webhook_id)
            await outgoing_webhooks.delete(tx, webhook_id)
            return node

        node = await info.context.db.write(audited(info, work, [webhook_id], [], [LABEL]))
        return OutgoingWebhook.from_node(node)

    @strawberry.mutation(
        description="Enable a webhook again after it was disabled for failing (admin or its creator); delivery "
        "resumes with the first event it has not handled.",
        extensions=requires(OwnsWebhook(scopes.WRITE)),
    )
    async def enable_webhook(self, info: Info, id: strawberry.ID) -> OutgoingWebhook | None:
        webhook_id = domain.valid_id(id)

        async def work(tx):
            return _found(await outgoing_webhooks.enable(tx, webhook_id), webhook_id)

        node = await info.context.db.write(audited(info, work, [webhook_id], ["enabled"], [LABEL]))
        return OutgoingWebhook.from_node(node)
