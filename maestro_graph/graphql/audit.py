"""The audit trail in the API: the `auditEvents` query (admins only) and the hook every
mutation's unit of work goes through to record its event in the same transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from maestro_graph.db.values import native
from maestro_graph.domain import MAX_NAME_LENGTH, InvalidInput
from maestro_graph.graph_model import ARTIFACT, PROJECT
from maestro_graph.graphql.connections import Connection, node_connection
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
            id=node["id"],
            at=native(node["at"]),
            action=node["action"],
            actor=node["actor"],
            client_id=node.get("client_id"),
            person_id=node.get("person_id"),
            targets=list(node.get("targets") or []),
            changed_fields=list(node.get("changed") or []),
        )


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
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def _filters(given: AuditEventFilter | None) -> audit.AuditFilter:
    if given is None:
        return audit.AuditFilter()
    for name in ("actor", "client_id", "action", "target_id"):
        value = getattr(given, name)
        if value is not None and len(value) > MAX_NAME_LENGTH:
            raise InvalidInput(f"filter.{name}", f"must be at most {MAX_NAME_LENGTH} characters")
    return audit.AuditFilter(
        actor=given.actor,
        client_id=given.client_id,
        action=given.action,
        target=given.target_id,
        since=_utc(given.since),
        until=_utc(given.until),
    )


async def audit_events(
    info: Info, first: int | None = None, after: str | None = None, filter: AuditEventFilter | None = None
) -> Connection[AuditEvent]:
    """Successful writes, newest first."""
    win = info.context.window(first, after)
    filters = _filters(filter)
    rows, total = await info.context.db.read(audit.page, filters, win.skip, win.limit)
    return node_connection(rows, total, win.skip, AuditEvent.from_node)


def _event(info: Info, targets: list[str], changed: list[str], labels: list[str] | None = None) -> audit.Event:
    """The audit event of this mutation, by the request's caller, on `targets`; `labels`, when
    given, are the targets' labels, in the same order."""
    principal = info.context.principal
    labelled = None if labels is None else list(zip(targets, labels, strict=True))
    return audit.Event(
        action=info.field_name,
        actor=principal.actor if principal else "unknown",
        client_id=principal.client_id if principal else None,
        person_id=principal.person_id if principal else None,
        targets=targets,
        changed=changed,
        project_ids=None if labelled is None else [id for id, label in labelled if label == PROJECT.label],
        artifact_ids=None if labelled is None else [id for id, label in labelled if label == ARTIFACT.label],
    )


def audited(
    info: Info,
    work: Callable[[Any], Awaitable[Any]],
    targets: Iterable[str],
    changed: Iterable[str],
    labels: Iterable[str] | None = None,
):
    """`work` followed, in the same transaction, by the audit event of this mutation;
    `labels`, when given, are the targets' labels, in the same order."""
    # Made now: a transaction retried after a transient error runs `unit` again.
    event = _event(info, list(targets), list(changed), None if labels is None else list(labels))

    async def unit(tx):
        result = await work(tx)
        await audit.record_many(tx, [event])
        return result

    return unit


async def record_items(tx: Any, info: Info, items: Iterable[tuple[list[str], list[str]]]) -> None:
    """One audit event per item of a bulk write, each (targets, changed), in `tx` and one round trip."""
    await audit.record_many(tx, [_event(info, targets, changed) for targets, changed in items])
