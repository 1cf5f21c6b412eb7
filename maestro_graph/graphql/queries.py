"""Root queries: nodes by id, filtered and sorted connections, full-text search."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types import Info

from maestro_graph.auth import scopes
from maestro_graph.auth.permissions import scope
from maestro_graph.domain import MAX_TEXT_LENGTH, InvalidInput
from maestro_graph.graphql import prefetch
from maestro_graph.graphql.audit import audit_events
from maestro_graph.graphql.errors import to_graphql_error
from maestro_graph.graphql.types import (
    Artifact,
    ArtifactConnection,
    ArtifactEdge,
    ArtifactKind,
    Node,
    Person,
    PersonConnection,
    PersonEdge,
    PersonKind,
    Project,
    ProjectConnection,
    ProjectEdge,
    ProjectStatus,
    Team,
    TeamConnection,
    TeamEdge,
    connection,
    node_from_row,
)
from maestro_graph.repositories import listing


@strawberry.enum
class OrderField(Enum):
    NAME = "NAME"
    ID = "ID"
    CREATED_AT = "CREATED_AT"
    DEGREE = strawberry.enum_value("DEGREE", description="Number of relationships: the most connected first with DESC.")


@strawberry.enum
class Direction(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input
class OrderBy:
    field: OrderField = OrderField.NAME
    direction: Direction = Direction.ASC


@strawberry.input
class ProjectFilter:
    text: str | None = strawberry.field(default=None, description="Case-insensitive substring of name or description.")
    section: str | None = None
    status: ProjectStatus | None = None
    tags: list[str] | None = strawberry.field(default=None, description="Projects with any of these tags.")


@strawberry.input
class ArtifactFilter:
    text: str | None = None
    section: str | None = None
    kinds: list[ArtifactKind] | None = None


@strawberry.input
class PersonFilter:
    text: str | None = None
    kind: PersonKind | None = None


@strawberry.input
class TeamFilter:
    text: str | None = None


@strawberry.enum
class SearchKind(Enum):
    PROJECT = "Project"
    ARTIFACT = "Artifact"
    PERSON = "Person"
    TEAM = "Team"


@strawberry.type
class SearchHit:
    node: Node
    score: float


def _check_text(value: str | None, field: str) -> None:
    if value is not None and len(value) > MAX_TEXT_LENGTH:
        raise InvalidInput(field, f"must be at most {MAX_TEXT_LENGTH} characters")


def _filters(filter_input: object | None) -> dict:
    if filter_input is None:
        return {}
    values = {}
    for name, value in vars(filter_input).items():
        _check_text(value if isinstance(value, str) else None, f"filter.{name}")
        if isinstance(value, Enum):
            value = value.value
        elif isinstance(value, list):
            value = [item.value if isinstance(item, Enum) else item for item in value]
        values[name] = value
    return values


async def _page(info: Info, label: str, first, after, filter_input, order_by: OrderBy | None):
    try:
        win = info.context.window(first, after)
        filters = _filters(filter_input)
    except InvalidInput as error:
        raise to_graphql_error(error) from None
    order = order_by or OrderBy()

    async def work(tx):
        return await listing.page(
            tx, label, filters, order.field.value, order.direction is Direction.DESC, listing.PageRequest(win.skip, win.limit)
        )

    rows, total = await info.context.db.read(work)
    return rows, total, win.skip


async def _node(info: Info, label: str, node_id: str):
    row = await prefetch.node_with_pages(info, label, node_id)
    return None if row is None else node_from_row(label, row)


@strawberry.type
class Query:
    @strawberry.field
    async def project(self, info: Info, id: strawberry.ID) -> Project | None:
        return await _node(info, "Project", id)

    @strawberry.field
    async def artifact(self, info: Info, id: strawberry.ID) -> Artifact | None:
        return await _node(info, "Artifact", id)

    @strawberry.field
    async def person(self, info: Info, id: strawberry.ID) -> Person | None:
        return await _node(info, "Person", id)

    @strawberry.field
    async def team(self, info: Info, id: strawberry.ID) -> Team | None:
        return await _node(info, "Team", id)

    @strawberry.field
    async def projects(
        self, info: Info, first: int | None = None, after: str | None = None,
        filter: ProjectFilter | None = None, order_by: OrderBy | None = None,
    ) -> ProjectConnection:
        rows, total, skip = await _page(info, "Project", first, after, filter, order_by)
        return connection(ProjectConnection, rows, total, skip, lambda cursor, r: ProjectEdge(cursor=cursor, node=Project.from_node(r)))

    @strawberry.field
    async def artifacts(
        self, info: Info, first: int | None = None, after: str | None = None,
        filter: ArtifactFilter | None = None, order_by: OrderBy | None = None,
    ) -> ArtifactConnection:
        rows, total, skip = await _page(info, "Artifact", first, after, filter, order_by)
        return connection(ArtifactConnection, rows, total, skip, lambda cursor, r: ArtifactEdge(cursor=cursor, node=Artifact.from_node(r)))

    @strawberry.field
    async def people(
        self, info: Info, first: int | None = None, after: str | None = None,
        filter: PersonFilter | None = None, order_by: OrderBy | None = None,
    ) -> PersonConnection:
        rows, total, skip = await _page(info, "Person", first, after, filter, order_by)
        return connection(PersonConnection, rows, total, skip, lambda cursor, r: PersonEdge(cursor=cursor, node=Person.from_node(r)))

    @strawberry.field
    async def teams(
        self, info: Info, first: int | None = None, after: str | None = None,
        filter: TeamFilter | None = None, order_by: OrderBy | None = None,
    ) -> TeamConnection:
        rows, total, skip = await _page(info, "Team", first, after, filter, order_by)
        return connection(TeamConnection, rows, total, skip, lambda cursor, r: TeamEdge(cursor=cursor, node=Team.from_node(r)))

    @strawberry.field(description="Full-text search over names and descriptions, best matches first.")
    async def search(
        self, info: Info, text: str, kinds: list[SearchKind] | None = None,
        artifact_kinds: list[ArtifactKind] | None = None, first: int | None = None,
    ) -> list[SearchHit]:
        try:
            _check_text(text, "text")
            limit = info.context.window(first, None).limit
        except InvalidInput as error:
            raise to_graphql_error(error) from None
        labels = [kind.value for kind in kinds] if kinds else None
        artifact_kind_values = [kind.value for kind in artifact_kinds] if artifact_kinds else None

        async def work(tx):
            return await listing.search(tx, text, labels, artifact_kind_values, limit)

        rows = await info.context.db.read(work)
        return [SearchHit(node=node_from_row(r["label"], r["node"]), score=r["score"]) for r in rows]

    audit_events = strawberry.field(
        resolver=audit_events, extensions=scope(scopes.ADMIN),
        description="Successful writes, newest first (admin scope).",
    )
