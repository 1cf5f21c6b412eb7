"""Root queries: nodes by id, filtered and sorted connections, full-text search."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, TypeVar

import strawberry
from strawberry.types import Info

from maestro_graph.auth import scopes
from maestro_graph.auth.permissions import scope
from maestro_graph.domain import MAX_TEXT_LENGTH, InvalidInput
from maestro_graph.graphql import prefetch
from maestro_graph.graphql.audit import audit_events
from maestro_graph.graphql.compiled_reads import node_by_id, read_with
from maestro_graph.graphql.connections import Connection, node_connection
from maestro_graph.graphql.search import full_text_hits, full_text_search
from maestro_graph.graphql.types import Artifact, Person, Project, Team, node_from_row
from maestro_graph.graphql.vocabularies import ArtifactKind, PersonKind, ProjectStatus
from maestro_graph.repositories import listing

NodeT = TypeVar("NodeT")


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


def _filters(filter_input: object | None) -> dict:
    if filter_input is None:
        return {}
    values = {}
    for name, value in vars(filter_input).items():
        if isinstance(value, str) and len(value) > MAX_TEXT_LENGTH:
            raise InvalidInput(f"filter.{name}", f"must be at most {MAX_TEXT_LENGTH} characters")
        if isinstance(value, Enum):
            value = value.value
        elif isinstance(value, list):
            value = [item.value if isinstance(item, Enum) else item for item in value]
        values[name] = value
    return values


async def _page(
    view: prefetch.OperationView,
    label: str,
    first: int | None,
    after: str | None,
    filter_input: object | None,
    order_by: OrderBy | None,
    make_node: Callable[[dict[str, Any]], NodeT],
) -> Connection[NodeT]:
    context = view.context
    win = context.window(first, after)
    filters = _filters(filter_input)
    order = order_by or OrderBy()
    request = listing.PageRequest(win.skip, win.limit)
    properties = prefetch.listed_properties(view, label)

    async def work(tx):
        descending = order.direction is Direction.DESC
        return await listing.page(tx, label, filters, order.field.value, descending, request, properties)

    rows, total = await context.db.read(work)
    return node_connection(rows, total, win.skip, make_node)


def _listing(label: str, make_node: Callable[[dict[str, Any]], NodeT]) -> Callable[..., Awaitable[Connection[NodeT]]]:
    """A listing's read, called by its resolver and by the compiled reads with the same arguments."""

    async def read(
        view: prefetch.OperationView,
        first: int | None = None,
        after: str | None = None,
        filter: object | None = None,
        order_by: OrderBy | None = None,
    ) -> Connection[NodeT]:
        return await _page(view, label, first, after, filter, order_by, make_node)

    return read


_projects = _listing("Project", Project.from_node)
_artifacts = _listing("Artifact", Artifact.from_node)
_people = _listing("Person", Person.from_node)
_teams = _listing("Team", Team.from_node)


async def _node(info: Info, label: str, node_id: str):
    row = await prefetch.node_with_pages(info, label, node_id)
    return None if row is None else node_from_row(label, row)


@strawberry.type
class Query:
    @strawberry.field(metadata=node_by_id("Project"))
    async def project(self, info: Info, id: strawberry.ID) -> Project | None:
        return await _node(info, "Project", id)

    @strawberry.field(metadata=node_by_id("Artifact"))
    async def artifact(self, info: Info, id: strawberry.ID) -> Artifact | None:
        return await _node(info, "Artifact", id)

    @strawberry.field(metadata=node_by_id("Person"))
    async def person(self, info: Info, id: strawberry.ID) -> Person | None:
        return await _node(info, "Person", id)

    @strawberry.field(metadata=node_by_id("Team"))
    async def team(self, info: Info, id: strawberry.ID) -> Team | None:
        return await _node(info, "Team", id)

    @strawberry.field(metadata=read_with(_projects))
    async def projects(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: ProjectFilter | None = None,
        order_by: OrderBy | None = None,
    ) -> Connection[Project]:
        return await _projects(info._raw_info, first, after, filter, order_by)

    @strawberry.field(metadata=read_with(_artifacts))
    async def artifacts(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: ArtifactFilter | None = None,
        order_by: OrderBy | None = None,
    ) -> Connection[Artifact]:
        return await _artifacts(info._raw_info, first, after, filter, order_by)

    @strawberry.field(metadata=read_with(_people))
    async def people(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: PersonFilter | None = None,
        order_by: OrderBy | None = None,
    ) -> Connection[Person]:
        return await _people(info._raw_info, first, after, filter, order_by)

    @strawberry.field(metadata=read_with(_teams))
    async def teams(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: TeamFilter | None = None,
        order_by: OrderBy | None = None,
    ) -> Connection[Team]:
        return await _teams(info._raw_info, first, after, filter, order_by)

    search = strawberry.field(
        resolver=full_text_search,
        description="Full-text search over names and descriptions, best matches first.",
        metadata=read_with(full_text_hits),
    )

    audit_events = strawberry.field(
        resolver=audit_events,
        extensions=scope(scopes.ADMIN),
        description="Successful writes, newest first (admin scope).",
    )
