"""Read a node and the relation pages a request selects under it in one query.

Left to themselves, the resolvers cost one round trip per nesting level (the
DataLoaders batch each level). For a node fetched by id, this module looks at
the selection before resolving it, plans every relation connection below it
whose arguments it can read (literal or variable `first`/`after`, no
directives), reads the whole plan in one query (`repositories/neighbourhood`)
and primes the DataLoaders with the answer. The resolvers then run as always
and find their pages in the cache; whatever the plan left out (fields under a
directive, a bad argument, levels past the limits) they load the usual way, so
the answer is the same with or without prefetching, only the round trips differ.

Neighbours come with only the properties the operation selects on their type
anywhere in the document (all of them when a directive makes the selection
depend on variables, or when a field selected on the type has a resolver that
reads the row itself), so every page primed in a request carries whatever any
of its resolvers reads. Listings and search read their nodes the same way
(`listed_properties`).
"""

from __future__ import annotations

from functools import cache
from typing import Any, Protocol

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    OperationType,
    StringValueNode,
    VariableNode,
    get_named_type,
)
from strawberry.types import Info, get_object_definition
from strawberry.utils.str_converters import to_camel_case

from maestro_graph.domain import InvalidInput
from maestro_graph.graph_model import RELATIONS, connection_fields
from maestro_graph.graphql.types import NODE_TYPES
from maestro_graph.repositories import neighbourhood
from maestro_graph.repositories.neighbourhood import Neighbourhood, PagePlan, Projections


class OperationView(Protocol):
    """What planning reads of the operation being run: a field's GraphQLResolveInfo has it all,
    and so does the view the compiled reads (`compiled_reads`) take before any resolver runs."""

    @property
    def schema(self) -> GraphQLSchema: ...
    @property
    def operation(self) -> OperationDefinitionNode: ...
    @property
    def fragments(self) -> dict[str, FragmentDefinitionNode]: ...
    @property
    def variable_values(self) -> Any: ...
    @property
    def context(self) -> Any: ...


# GraphQL type -> connection field -> relation it pages (the resolvers in graphql/types.py).
CONNECTION_FIELDS: dict[str, dict[str, str]] = connection_fields()
# Bounds on one prefetch, so a request never fetches much more than the pages it reads:
# relation levels below the node, and rows in all (the product of the page sizes).
MAX_LEVELS = 3
MAX_ROWS = 5000


class _Unknown(Exception):
    """An argument the plan cannot read ahead of execution: leave that field to its resolver."""


def _value(info: OperationView, node: Any) -> Any:
    if node is None or isinstance(node, NullValueNode):
        return None
    if isinstance(node, VariableNode):
        # Coerced values: graphql-core keeps them in `coerced` of its VariableValues.
        values = info.variable_values
        return getattr(values, "coerced", values).get(node.name.value)
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, StringValueNode):
        return node.value
    raise _Unknown


def _fields(info: OperationView, selections, type_name: str):
    """The fields selected on `type_name`, through fragments; none under a directive."""
    for selection in selections or ():
        if selection.directives:
            continue  # @skip / @include: decided at execution, so not planned
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else type_name
            if condition in (type_name, "Node"):
                yield from _fields(info, selection.selection_set.selections, type_name)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = info.fragments.get(selection.name.value)
            if fragment is not None and fragment.type_condition.name.value in (type_name, "Node"):
                yield from _fields(info, fragment.selection_set.selections, type_name)


def _edge_node_selections(info: OperationView, connection: FieldNode, type_name: str):
    """Selections under `edges { node { … } }` of a connection field."""
    for edges in _fields(info, connection.selection_set.selections if connection.selection_set else (), ""):
        if edges.name.value != "edges" or edges.selection_set is None:
            continue
        for node in _fields(info, edges.selection_set.selections, ""):
            if node.name.value == "node" and node.selection_set is not None:
                yield from node.selection_set.selections


def plan(info: OperationView, selections, type_name: str, level: int = 1) -> list[PagePlan]:
    """The relation pages selected under a node of `type_name`, merged by (relation, skip, limit)."""
    if level > MAX_LEVELS:
        return []
    plans: dict[tuple[str, int, int], PagePlan] = {}
    connections = CONNECTION_FIELDS.get(type_name, {})
    for selected in _fields(info, selections, type_name):
        relation = connections.get(selected.name.value)
        if relation is None:
            continue
        try:
            arguments = {arg.name.value: _value(info, arg.value) for arg in selected.arguments or ()}
            win = info.context.window(arguments.get("first"), arguments.get("after"))
        except (_Unknown, InvalidInput):
            continue  # the resolver reports the error (or reads the page) itself
        page = plans.setdefault((relation, win.skip, win.limit), PagePlan(relation, win.skip, win.limit))
        neighbour = RELATIONS[relation].neighbour.label
        below = plan(info, list(_edge_node_selections(info, selected, neighbour)), neighbour, level + 1)
        page.children = _merge(page.children + below)
    return list(plans.values())


def _merge(plans: list[PagePlan]) -> list[PagePlan]:
    merged: dict[tuple[str, int, int], PagePlan] = {}
    for page in plans:
        if page.key in merged:
            merged[page.key].children = _merge(merged[page.key].children + page.children)
        else:
            merged[page.key] = page
    return list(merged.values())


def _rows(plans: list[PagePlan], fan_out: int = 1) -> int:
    return sum(fan_out * p.limit + _rows(p.children, fan_out * max(p.limit, 1)) for p in plans)


def _within_budget(plans: list[PagePlan]) -> list[PagePlan]:
    """Drop the deepest levels until the plan's worst case fits MAX_ROWS."""
    while plans and _rows(plans) > MAX_ROWS:
        deepest = max(_depths(plans))
        plans = _cut(plans, deepest - 1)
    return plans


def _depths(plans: list[PagePlan], level: int = 1):
    for p in plans:
        yield level
        yield from _depths(p.children, level + 1)


def _cut(plans: list[PagePlan], keep: int) -> list[PagePlan]:
    if keep <= 0:
        return []
    return [PagePlan(p.relation, p.skip, p.limit, _cut(p.children, keep - 1)) for p in plans]


@cache
def _plain_fields(type_name: str) -> dict[str, str]:
    """GraphQL name -> node property, for the fields of a node type read straight off the node."""
    definition = get_object_definition(NODE_TYPES[type_name], strict=True)
    return {to_camel_case(f.python_name): f.python_name for f in definition.fields if f.base_resolver is None}


def _selected_by_type(info: OperationView) -> dict[str, set[str]] | None:
    """Field names the operation selects on each object type; None if any selection has a directive."""
    schema = info.schema
    roots = {
        OperationType.QUERY: schema.query_type,
        OperationType.MUTATION: schema.mutation_type,
        OperationType.SUBSCRIPTION: schema.subscription_type,
    }
    selected: dict[str, set[str]] = {}

    def walk(selection_set, parent) -> bool:
        for selection in selection_set.selections:
            if selection.directives:
                return False
            if isinstance(selection, FieldNode):
                name = selection.name.value
                owners = schema.get_possible_types(parent) if isinstance(parent, GraphQLInterfaceType) else [parent]
                for owner in owners:
                    selected.setdefault(owner.name, set()).add(name)
                definition = getattr(parent, "fields", {}).get(name)
                if (
                    definition is not None
                    and selection.selection_set is not None
                    and not walk(selection.selection_set, get_named_type(definition.type))
                ):
                    return False
            elif isinstance(selection, InlineFragmentNode):
                condition = schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
                if not walk(selection.selection_set, condition):
                    return False
            elif isinstance(selection, FragmentSpreadNode):
                fragment = info.fragments.get(selection.name.value)
                if fragment is None or not walk(
                    fragment.selection_set, schema.get_type(fragment.type_condition.name.value)
                ):
                    return False
        return True

    return selected if walk(info.operation.selection_set, roots[info.operation.operation]) else None


def projections(view: OperationView) -> Projections | None:
    """Per node label, the properties the whole operation reads; None: read everything."""
    memo = view.context.memo
    if "projections" not in memo:
        selected = _selected_by_type(view)
        memo["projections"] = (
            None
            if selected is None
            else {label: _label_projection(label, selected.get(label, set())) for label in NODE_TYPES}
        )
    return memo["projections"]


def _label_projection(label: str, selected: set[str]) -> tuple[str, ...] | None:
    """The properties fields `selected` on `label` read; None (all of them) when one of those
    fields has a resolver that may read more of the row than its own property
    (`Artifact.deprecation` reads three)."""
    plain = _plain_fields(label)
    if selected - plain.keys() - CONNECTION_FIELDS.get(label, {}).keys() - {"__typename"}:
        return None
    return tuple(sorted({plain[f] for f in selected if f in plain}))


def listed_properties(view: OperationView, label: str) -> tuple[str, ...] | None:
    """The properties to read of `label` nodes a listing or a search returns; None: all."""
    if not view.context.settings.graphql_prefetch:
        return None
    found = projections(view)
    return None if found is None else found.get(label)


def node_plans(view: OperationView, field_nodes: list[FieldNode], label: str) -> list[PagePlan]:
    """The pages to read with the `label` node that root field `field_nodes` fetches by id."""
    if not view.context.settings.graphql_prefetch:
        return []
    selections = [s for f in field_nodes if f.selection_set for s in f.selection_set.selections]
    return _within_budget(plan(view, selections, label))


async def read_node(view: OperationView, label: str, node_id: str, plans: list[PagePlan]) -> Neighbourhood:
    """The node `label`/`node_id` and the pages of `plans` under it, primed into the request's loaders."""
    loaders = view.context.loaders
    if not plans:
        return Neighbourhood(await loaders.node.load((label, node_id)), {})
    properties = projections(view)

    async def work(tx):
        return await neighbourhood.read(tx, label, node_id, plans, properties)

    found = await view.context.db.read(work)
    loaders.node.prime((label, node_id), found.node)
    loaders.page.prime_many(found.pages)
    return found


async def node_with_pages(info: Info, label: str, node_id: str) -> dict | None:
    """The node `label`/`node_id` for a root field, with the pages selected under it primed."""
    # The parsed selection and the fragments are graphql-core's; Strawberry's own view of
    # them (`selected_fields`) converts the whole tree on every call and hides fragments' types.
    raw = info._raw_info
    found = await read_node(raw, label, node_id, node_plans(raw, raw.field_nodes, label))
    return found.node
