"""Bulk writes: up to `MAX_ITEMS` items of one kind in one transaction, with a result per item.

Each item is validated and authorized exactly as its single-item mutation is (the same
builders from `mutations`, the same roles from `auth.permissions`), and each written item
gets its own audit event, action the bulk mutation's name. Whatever the number of items,
the items are written in one `UNWIND` query and their events in one more.

All or nothing by default: one bad item and nothing is written, with every bad item
reported by its index. With `partial: true` the good items are written and the bad ones
reported. An item is bad when its input breaks a rule (BAD_USER_INPUT) or names a node
that does not exist (NOT_FOUND), as the single mutation would answer.

Authorization is all or nothing, whatever `partial` says: a caller without a role on one
item's project is refused the whole call (FORBIDDEN, `extensions.indexes` naming the
items), as a mutation document with one forbidden field runs none of its fields. A list
over `MAX_ITEMS` is refused by the cost limit, before that check reads anything, and each
item counts towards the request's cost (`cost.BATCH_ARGUMENT`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Protocol

import strawberry
from strawberry.schema_directive import Location
from strawberry.types import Info

from maestro_graph.auth import scopes
from maestro_graph.auth.permissions import RequireScope, every_project_manage, every_project_write, requires
from maestro_graph.domain import InvalidInput, NotFound
from maestro_graph.graph_model import MEMBER_OF, USES, RelationshipType
from maestro_graph.graphql.audit import record_items
from maestro_graph.graphql.cost import BATCH_ARGUMENT, MAX_BATCH_ITEMS, too_many_items
from maestro_graph.graphql.errors import describe
from maestro_graph.graphql.mutations import (
    ArtifactInput,
    Link,
    PersonInput,
    ProjectInput,
    UsageInput,
    artifact_props,
    membership_link,
    missing_endpoints,
    person_props,
    project_props,
    usage_link,
)
from maestro_graph.graphql.vocabularies import MemberRole
from maestro_graph.repositories import edges, nodes

MAX_ITEMS = MAX_BATCH_ITEMS


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="maxItems",
    description="A longer list in `argument` is refused (QUERY_TOO_COSTLY) before anything is read or written.",
)
class MaxItems:
    argument: str
    limit: int


_BOUND = [MaxItems(argument=BATCH_ARGUMENT, limit=MAX_ITEMS)]


@strawberry.input
class MemberInput:
    person_id: strawberry.ID
    project_id: strawberry.ID
    role: MemberRole
    since: datetime | None = None


@strawberry.type(description="Why one item of a bulk write is bad.")
class BulkItemError:
    code: str = strawberry.field(description="As the single mutation would answer: BAD_USER_INPUT or NOT_FOUND.")
    message: str
    field: str | None = strawberry.field(description="The item's input field at fault, when one is.")


@strawberry.type
class BulkItemResult:
    index: int = strawberry.field(description="The item's position in `inputs`, from 0.")
    ok: bool = strawberry.field(description="The item is good; it was written if `committed` is true.")
    error: BulkItemError | None


@strawberry.type(description="The outcome of a bulk write, with one result per input, in their order.")
class BulkWriteResult:
    committed: bool = strawberry.field(
        description="Whether the good items were written: false when an all-or-nothing call met a bad item."
    )
    written: int
    failed: int
    items: list[BulkItemResult]


@dataclass(frozen=True)
class _Item:
    """A good input, ready for the repository: its row, and what its audit event says."""

    index: int
    row: dict[str, Any]
    targets: list[str]
    changed: list[str]
    link: Link | None = None


class _Kind(Protocol):
    def prepare(self, index: int, data: Any) -> _Item: ...

    async def write(self, tx: Any, items: list[_Item]) -> list[int]: ...

    async def missing(self, tx: Any, items: list[_Item], rejected: bool) -> dict[int, Exception]: ...


@dataclass(frozen=True)
class _Nodes:
    """Nodes upserted by id: nothing in the graph can make a good input fail."""

    label: str
    props_of: Callable[[Any], tuple[str, dict]]

    def prepare(self, index: int, data: Any) -> _Item:
        node_id, props = self.props_of(data)
        return _Item(index, {"id": node_id, "props": props, "created_at": None}, [node_id], sorted(props))

    async def write(self, tx: Any, items: list[_Item]) -> list[int]:
        await nodes.upsert_many(tx, self.label, [item.row for item in items])
        return []

    async def missing(self, tx: Any, items: list[_Item], rejected: bool) -> dict[int, Exception]:
        return {}


@dataclass(frozen=True)
class _Links:
    """Relationships between existing nodes: an input naming a missing node is bad."""

    rel: RelationshipType
    link_of: Callable[[Any], Link]

    def prepare(self, index: int, data: Any) -> _Item:
        link = self.link_of(data)
        return _Item(index, {"line": index, **link.row}, [link.start.id, link.end.id], link.changed, link)

    async def write(self, tx: Any, items: list[_Item]) -> list[int]:
        return await edges.upsert_many(tx, self.rel, [item.row for item in items])

    async def missing(self, tx: Any, items: list[_Item], rejected: bool) -> dict[int, Exception]:
        """The missing end of each of `items` that has one; when they are items the write
        `rejected`, each is bad even if a concurrent write has created its ends since."""
        links = [item.link for item in items if item.link is not None]
        found = await missing_endpoints(tx, self.rel, links)
        bad: dict[int, Exception] = {}
        for item, error in zip(items, found, strict=True):
            if error is not None:
                bad[item.index] = error
            elif rejected and item.link is not None:
                bad[item.index] = NotFound(self.rel.start.label, item.link.start.id, item.link.start.field)
        return bad


class _RolledBack(Exception):
    """Raised inside the transaction so that the driver rolls it back; carries the bad items."""

    def __init__(self, bad: dict[int, Exception]):
        super().__init__(f"{len(bad)} bad items")
        self.bad = bad


async def _bulk(info: Info, kind: _Kind, inputs: list[Any], partial: bool) -> BulkWriteResult:
    if len(inputs) > MAX_ITEMS:  # the cost limit refuses it first, where the schema has one
        raise too_many_items(info.field_name, len(inputs))
    items: list[_Item] = []
    invalid: dict[int, Exception] = {}
    for index, data in enumerate(inputs):
        try:
            items.append(kind.prepare(index, data))
        except InvalidInput as error:
            invalid[index] = error

    async def unit(tx: Any) -> dict[int, Exception]:
        bad = dict(invalid)  # afresh on each try: the driver may run `unit` again after a transient error
        if bad and not partial:
            # Nothing will be written: look only for the good inputs' missing nodes.
            return bad | await kind.missing(tx, items, rejected=False)
        rejected = set(await kind.write(tx, items))
        if rejected:
            bad |= await kind.missing(tx, [item for item in items if item.index in rejected], rejected=True)
            if not partial:
                raise _RolledBack(bad)
        await record_items(tx, info, [(item.targets, item.changed) for item in items if item.index not in bad])
        return bad

    committed = partial or not invalid
    try:
        bad = await info.context.db.write(unit)
    except _RolledBack as rolled_back:
        bad, committed = rolled_back.bad, False
    info.context.loaders.forget()
    return _answer(len(inputs), bad, committed)


def _error(cause: Exception) -> BulkItemError:
    shape = describe(cause)
    if shape is None:  # the builders raise domain errors only
        raise cause
    message, extensions = shape
    return BulkItemError(code=str(extensions["code"]), message=message, field=extensions.get("field"))


def _answer(count: int, bad: dict[int, Exception], committed: bool) -> BulkWriteResult:
    results = [
        BulkItemResult(index=index, ok=index not in bad, error=_error(bad[index]) if index in bad else None)
        for index in range(count)
    ]
    return BulkWriteResult(
        committed=committed, written=count - len(bad) if committed else 0, failed=len(bad), items=results
    )


def _inputs(arguments: Mapping[str, Any]) -> list[Any]:
    return arguments.get(BATCH_ARGUMENT) or []


PROJECTS = _Nodes("Project", project_props)
ARTIFACTS = _Nodes("Artifact", artifact_props)
PEOPLE = _Nodes("Person", person_props)
USAGES = _Links(USES, usage_link)
MEMBERS = _Links(MEMBER_OF, lambda data: membership_link(data.person_id, data.project_id, data.role, data.since))

Partial = Annotated[bool, strawberry.argument(description="Keep the good items when some are bad.")]
_ALL_OR_NOTHING = (
    f"Up to {MAX_ITEMS} inputs in one transaction, each checked as the single mutation checks it; "
    "by default one bad item writes nothing."
)


@strawberry.type
class BulkMutation:
    @strawberry.mutation(
        description=f"upsertProject for many projects. {_ALL_OR_NOTHING}",
        extensions=requires(every_project_write(lambda a: [i.id for i in _inputs(a)])),
        directives=_BOUND,
    )
    async def upsert_projects(
        self, info: Info, inputs: list[ProjectInput], partial: Partial = False
    ) -> BulkWriteResult | None:
        return await _bulk(info, PROJECTS, inputs, partial)

    @strawberry.mutation(
        description=f"upsertArtifact for many artifacts. {_ALL_OR_NOTHING}",
        extensions=requires(RequireScope(scopes.WRITE)),
        directives=_BOUND,
    )
    async def upsert_artifacts(
        self, info: Info, inputs: list[ArtifactInput], partial: Partial = False
    ) -> BulkWriteResult | None:
        return await _bulk(info, ARTIFACTS, inputs, partial)

    @strawberry.mutation(
        description=f"upsertPerson for many people. {_ALL_OR_NOTHING}",
        extensions=requires(RequireScope(scopes.ADMIN)),
        directives=_BOUND,
    )
    async def upsert_people(
        self, info: Info, inputs: list[PersonInput], partial: Partial = False
    ) -> BulkWriteResult | None:
        return await _bulk(info, PEOPLE, inputs, partial)

    @strawberry.mutation(
        description=f"recordUsage for many usages. {_ALL_OR_NOTHING}",
        extensions=requires(every_project_write(lambda a: [i.project_id for i in _inputs(a)])),
        directives=_BOUND,
    )
    async def record_usages(
        self, info: Info, inputs: list[UsageInput], partial: Partial = False
    ) -> BulkWriteResult | None:
        return await _bulk(info, USAGES, inputs, partial)

    @strawberry.mutation(
        description=f"addMember for many memberships. {_ALL_OR_NOTHING}",
        extensions=requires(every_project_manage(lambda a: [i.project_id for i in _inputs(a)])),
        directives=_BOUND,
    )
    async def add_members(
        self, info: Info, inputs: list[MemberInput], partial: Partial = False
    ) -> BulkWriteResult | None:
        return await _bulk(info, MEMBERS, inputs, partial)
