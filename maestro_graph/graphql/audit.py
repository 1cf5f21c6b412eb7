"""The audit trail in the API: the `auditEvents` query (admins only) and the hook every
mutation's unit of work goes through to record its event in the same transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timezone
from typing import Any

import strawberry
from strawberry.types import Info

from maestro_graph.domain import MAX_NAME_LENGTH, InvalidInput
from maestro_graph.graphql.errors import to_graphql_error
from maestro_graph.graphql.pagination import encode_cursor
from maestro_graph.graphql.types import Connection, native, page_info
from maestro_graph.repositories import audit


@strawberry.type(description="One successful write: who, through which client, what, on which ids, when.")
class AuditEvent:
    id: strawberry.ID
    at: datetime
    action: str = strawberry.field(description="The mutation, e.g. upsertProject.")
    actor: str = strawberry.field(description="person:<id>, client:<id>, or anonymous (dev profile).")
    client_id: str | None
    person_id: str | None
    targets: list[str] = strawberry.field(description="Ids of the nodes written, in the mutation's argument order.")
    changed_fields: list[str] = strawberry.field(description="Names of the fields written (never their values).")

    @staticmethod
    def from_node(node: dict) -> AuditEvent:
        return AuditEvent(
            id=node["id"], at=native(node["at"]), action=node["action"], actor=node["actor"],
            client_id=node.get("client_id"), person_id=node.get("person_id"),
            targets=list(node.get("targets") or []), changed_fields=list(node.get("changed") or []),
        )


@strawberry.type
class AuditEventEdge:
    cursor: str
    node: AuditEvent


@strawberry.type
class AuditEventConnection(Connection[AuditEventEdge]):
    pass


@strawberry.input
class AuditEventFilter:
    actor: str | None = None
    client_id: str | None = None
    action: str | None = None
    target_id: str | None = strawberry.field(default=None, description="Events that wrote this node id.")
    since: datetime | None = strawberry.field(default=None, description="At or after (inclusive).")
    until: datetime | None = strawberry.field(default=None, description="Before (exclusive).")


def _utc(value: datetime | None) -> datetime | None:
    # A time without a zone is taken as UTC, the zone events are recorded in.
    return value if value is None or value.tzinfo else value.replace(tzinfo=timezone.utc)


def _filters(given: AuditEventFilter | None) -> audit.AuditFilter:
    if given is None:
        return audit.AuditFilter()
    for name in ("actor", "client_id", "action", "target_id"):
        value = getattr(given, name)
        if value is not None and len(value) > MAX_NAME_LENGTH:
            raise InvalidInput(f"filter.{name}", f"must be at most {MAX_NAME_LENGTH} characters")
    return audit.AuditFilter(actor=given.actor, client_id=given.client_id, action=given.action,
                             target=given.target_id, since=_utc(given.since), until=_utc(given.until))


async def audit_events(
    info: Info, first: int | None = None, after: str | None = None, filter: AuditEventFilter | None = None
) -> AuditEventConnection:
    """Successful writes, newest first."""
    try:
        win = info.context.window(first, after)
        filters = _filters(filter)
    except InvalidInput as error:
        raise to_graphql_error(error) from None
    rows, total = await info.context.db.read(audit.page, filters, win.skip, win.limit)
    edges = [AuditEventEdge(cursor=encode_cursor(win.skip + i), node=AuditEvent.from_node(r)) for i, r in enumerate(rows)]
    return AuditEventConnection(edges=edges, page_info=page_info(win.skip, len(edges), total), total_count=total)


def audited(info: Info, work: Callable[[Any], Awaitable[Any]], targets: Iterable[str], changed: Iterable[str]):
    """`work` followed, in the same transaction, by the audit event of this mutation."""
    principal = info.context.principal
    # Lists now: a transaction retried after a transient error runs `unit` again.
    targets, changed = list(targets), list(changed)

    async def unit(tx):
        result = await work(tx)
        await audit.record(
            tx, action=info.field_name, actor=principal.actor if principal else "unknown",
            client_id=principal.client_id if principal else None,
            person_id=principal.person_id if principal else None,
            targets=targets, changed=changed,
        )
        return result

    return unit
