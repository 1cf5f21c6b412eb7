"""Live events as GraphQL subscriptions, over graphql-transport-ws (WebSocket) and
graphql-sse (server-sent events, POST /graphql with `Accept: text/event-stream`).

Every event is a committed AuditEvent (see `repositories.event_outbox`): the same facts the
audit trail records, delivered as they are committed. A subscription is an operation like a
query: it needs the `read` scope, and every project is readable with it, so every event is
visible to every subscriber; who made a change (actor, client, person) is shown to admins
only, as `auditEvents` is. Each client holds at most `MAESTRO_SUBSCRIPTIONS_PER_CLIENT`
subscriptions at once.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from datetime import datetime
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from maestro_graph import domain
from maestro_graph.db.values import native
from maestro_graph.domain import InvalidInput
from maestro_graph.graphql.errors import ErrorCode, coded
from maestro_graph.graphql.ml import ModelTask
from maestro_graph.live.event_filter import EventFilter
from maestro_graph.live.hub import Event, EventHub, SubscriberTooSlow, TooManySubscriptions
from maestro_graph.repositories.model_publishing import MODEL_PUBLISHED

MAX_FILTER_VALUES = 100
# The tasks whose answers are about projects: a new version of one changes every project's.
_PROJECT_TASKS = frozenset({ModelTask.OUTCOME.value, ModelTask.ARTIFACTS.value, ModelTask.TEAM.value})


@strawberry.type(description="A committed write, as the audit trail records it, numbered in commit order.")
class GraphEvent:
    sequence: int = strawberry.field(description="Gapless and increasing: the order events were committed in.")
    id: strawberry.ID
    at: datetime
    kind: str = strawberry.field(description="The write, e.g. upsertProject (the audit event's action).")
    targets: list[str] = strawberry.field(description="Ids of the nodes written.")
    changed_fields: list[str]
    project_ids: list[str] = strawberry.field(description="The targets that are projects.")
    artifact_ids: list[str] = strawberry.field(description="The targets that are artifacts.")
    actor: str | None = strawberry.field(description="Who wrote it; null unless the subscriber is an admin.")
    client_id: str | None

    @staticmethod
    def from_event(event: Event, show_actor: bool) -> GraphEvent:
        return GraphEvent(
            sequence=event["seq"],
            id=strawberry.ID(event["id"]),
            at=native(event["at"]),
            kind=event["action"],
            targets=list(event.get("targets") or []),
            changed_fields=list(event.get("changed") or []),
            project_ids=list(event.get("project_ids") or []),
            artifact_ids=list(event.get("artifact_ids") or []),
            actor=event.get("actor") if show_actor else None,
            client_id=event.get("client_id") if show_actor else None,
        )


@strawberry.input(description="Each non-empty list given narrows the events to those matching one of its values.")
class GraphChangeFilter:
    kinds: list[str] | None = strawberry.field(default=None, description="Writes by name, e.g. upsertProject.")
    project_ids: list[strawberry.ID] | None = None
    artifact_ids: list[strawberry.ID] | None = None


@strawberry.type(description="A model version became the active one of its task.")
class ModelPublication:
    sequence: int
    task: ModelTask
    version: str
    at: datetime


@strawberry.type(description="A project's predictions changed: a new model version of `task` became active.")
class PredictionChange:
    sequence: int
    project_id: strawberry.ID
    task: ModelTask
    model_version: str
    at: datetime


def _values(values: list[Any] | None, field: str, check: Callable[[Any, str], str]) -> frozenset[str] | None:
    if values is None:
        return None
    if len(values) > MAX_FILTER_VALUES:
        raise InvalidInput(field, f"at most {MAX_FILTER_VALUES} values")
    return frozenset(check(value, field) for value in values)


def _valid(check: Callable[..., Any], *args: Any) -> Any:
    """`check(*args)`, its InvalidInput answered as a query's would be (the schema extension
    that codes domain errors sees a subscription's first answer only)."""
    try:
        return check(*args)
    except InvalidInput as error:
        raise coded(GraphQLError(str(error), original_error=error)) from None


def event_filter(given: GraphChangeFilter | None) -> EventFilter:
    given = given or GraphChangeFilter()
    return EventFilter(
        kinds=_values(given.kinds, "filter.kinds", domain.valid_id),
        project_ids=_values(given.project_ids, "filter.projectIds", domain.valid_id),
        artifact_ids=_values(given.artifact_ids, "filter.artifactIds", domain.valid_id),
    )


def _client_key(info: Info) -> str:
    """Whose subscription cap a subscription counts against: the OAuth client, the token's
    subject, else the caller's address."""
    principal = info.context.principal
    if principal is not None and principal.budget_key:
        return principal.budget_key
    if principal is not None and principal.source != "dev-anonymous":
        return f"sub:{principal.subject}"
    client = getattr(info.context.request, "client", None)
    return f"addr:{getattr(client, 'host', None) or 'unknown'}"


async def _events(info: Info, wants: Callable[[Event], bool]) -> AsyncGenerator[Event, None]:
    hub: EventHub = info.context.request.app.state.events
    try:
        async with hub.subscribe(_client_key(info), wants) as events:
            async for event in events:
                yield event
    except TooManySubscriptions as error:
        raise GraphQLError(str(error), extensions={"code": ErrorCode.RATE_LIMITED}) from None
    except SubscriberTooSlow as error:
        raise GraphQLError(str(error), extensions={"code": ErrorCode.RATE_LIMITED}) from None


def _published(event: Event) -> bool:
    return event["action"] == MODEL_PUBLISHED


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Every committed write that matches `filter`, in commit order.")
    async def graph_changed(
        self, info: Info, filter: GraphChangeFilter | None = None
    ) -> AsyncGenerator[GraphEvent, None]:
        wants = _valid(event_filter, filter)
        principal = info.context.principal
        show_actor = principal is not None and principal.is_admin
        async for event in _events(info, wants):
            yield GraphEvent.from_event(event, show_actor)

    @strawberry.subscription(description="A model version becomes the active one (of `task`, or of any task).")
    async def model_published(
        self, info: Info, task: ModelTask | None = None
    ) -> AsyncGenerator[ModelPublication, None]:
        def wants(event: Event) -> bool:
            return _published(event) and (task is None or event.get("task") == task.value)

        async for event in _events(info, wants):
            yield ModelPublication(
                sequence=event["seq"],
                task=ModelTask(event["task"]),
                version=event["targets"][0],
                at=native(event["at"]),
            )

    @strawberry.subscription(
        description="The project's predictions (success, recommended artifacts, suggested people) changed "
        "because a new model version became active."
    )
    async def prediction_changed(self, info: Info, project_id: strawberry.ID) -> AsyncGenerator[PredictionChange, None]:
        project = _valid(domain.valid_id, project_id, "projectId")

        def wants(event: Event) -> bool:
            return _published(event) and event.get("task") in _PROJECT_TASKS

        async for event in _events(info, wants):
            yield PredictionChange(
                sequence=event["seq"],
                project_id=strawberry.ID(project),
                task=ModelTask(event["task"]),
                model_version=event["targets"][0],
                at=native(event["at"]),
            )
