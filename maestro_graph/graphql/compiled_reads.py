"""Plain reads answered from the rows the repositories read, without a resolver per field.

Execution runs a resolver, with its bookkeeping, for every field of the answer: for a node
fetched by id with two pages of twenty under it, some three hundred of them, though the one
prefetch query (`prefetch.py`) has already read everything they return. For a query
operation made only of fields whose values are known once the rows are read, this module
builds the answer itself, after authentication, the cost limit and the read-scope check,
in place of execution (a schema extension that sets the result execution would have set):

1. Compile, before any I/O: graphql-core collects the fields as execution does (fragments
   spread, @skip / @include applied, variables coerced), and every field found must be
   covered: `__typename`; a field Strawberry reads straight off its object (no resolver, no
   permission); one whose value only admins may read (null for others); a relation page of
   a node fetched by id that the prefetch plan reads; and, at the root, a field whose
   resolver declares how it reads (`node_by_id`, `read_with`).
2. Read: each root field reads what its resolver reads, with the same code (the prefetch
   plan and query of a node by id, the listing and search repositories), concurrently, as
   execution runs root fields; so the queries, and their count, are those of execution.
3. Answer: the objects the resolvers would return are built by the same constructors
   (`types.RELATION_PAGES`, `from_node`), and each value is serialized by its GraphQL
   type, as execution completes it.

Anything else, or anything unexpected on the way (a bad argument, a null where the schema
says non-null, an error from Neo4j), leaves the operation to execution, which then answers
it as it always does: this path never answers with an error of its own.
`MAESTRO_GRAPHQL_COMPILED_READS=false` turns it off; tests/test_compiled_reads.py holds the
two paths' answers equal.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    Undefined,
    get_named_type,
    is_abstract_type,
    is_object_type,
)
from graphql import (
    OperationType as GraphQLOperationType,
)
from graphql.execution import Executor, get_argument_values
from graphql.execution.collect_fields import FieldDetailsList, collect_fields, collect_subfields
from strawberry.extensions import SchemaExtension
from strawberry.permission import PermissionExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField
from strawberry.types.graphql import OperationType

from maestro_graph.auth.permissions import VisibleToAdmins
from maestro_graph.domain import InvalidInput
from maestro_graph.graphql import prefetch
from maestro_graph.graphql.types import RELATION_PAGES, node_from_row
from maestro_graph.observability import prometheus
from maestro_graph.repositories.neighbourhood import PagePlan

log = logging.getLogger("maestro_graph.graphql.compiled_reads")

# The key of a root field's Strawberry metadata that says how the field reads.
READS = "maestro_graph.reads"
_BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF


@dataclass(frozen=True)
class RootRead:
    """How a root field reads its value: a node of `label` by its `id` argument, with the
    prefetch's pages, or `read(context, **arguments)`, the function its resolver calls."""

    label: str | None = None
    read: Callable[..., Awaitable[Any]] | None = None


def node_by_id(label: str) -> dict[str, RootRead]:
    """Metadata of a root field that returns the `label` node its `id` names (`prefetch.node_with_pages`)."""
    return {READS: RootRead(label=label)}


def read_with(read: Callable[..., Awaitable[Any]]) -> dict[str, RootRead]:
    """Metadata of a root field whose resolver returns `await read(info.context, **arguments)`."""
    return {READS: RootRead(read=read)}


class _NotCovered(Exception):
    """The operation asks for something this path does not answer as execution would."""


@dataclass(frozen=True)
class _View:
    """The operation as the prefetch planner reads it (what a field's GraphQLResolveInfo holds)."""

    schema: GraphQLSchema
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    variable_values: Any
    context: Any


# What a field of the answer is, once compiled.
_TYPENAME, _VALUE, _ADMIN_ONLY, _PAGE = range(4)


@dataclass(frozen=True)
class _Field:
    key: str  # the response key (the alias, or the name)
    kind: int
    type: GraphQLOutputType | None = None
    python_name: str = ""
    get: Callable[[Any, str], Any] | None = None
    # Object values: the compiled fields for each object type the value may have.
    shapes: Mapping[str, list[_Field]] | None = None
    type_name: str = ""  # __typename's answer
    refused: Any = None  # an admin-only value's answer for others
    page: tuple[str, int, int] = ("", 0, 0)  # relation, skip, limit


def _admin_only(field: StrawberryField) -> PermissionExtension | None:
    """The field's permission when its value is visible to admins only (null for others)."""
    if len(field.extensions) != 1 or field.base_resolver is not None:
        return None
    extension = field.extensions[0]
    if (
        isinstance(extension, PermissionExtension)
        and extension.fail_silently
        and all(isinstance(permission, VisibleToAdmins) for permission in extension.permissions)
    ):
        return extension
    return None


class _Compiler:
    """Compiles an operation's selection against the schema, then answers it from the reads."""

    def __init__(self, schema: Any, executor: Executor, context: Any):
        self.strawberry_schema = schema
        self.schema: GraphQLSchema = executor.schema
        self.executor = executor
        self.context = context
        self.view = _View(
            self.schema, executor.operation, executor.fragment_definitions, executor.variable_values, context
        )

    def _arguments(self, definition: Any, details: FieldDetailsList) -> dict[str, Any]:
        try:
            return get_argument_values(
                definition, details[0].node, self.executor.variable_values, details[0].fragment_variable_values
            )
        except GraphQLError as error:
            raise _NotCovered from error

    def shapes(
        self, type_: GraphQLOutputType, details: FieldDetailsList, plans: list[PagePlan] | None
    ) -> dict[str, list[_Field]] | None:
        """The compiled selection for each object type a value of `type_` may have; None for leaves."""
        named = get_named_type(type_)
        if is_object_type(named):
            return {named.name: self.shape(named, details, plans)}
        if is_abstract_type(named):
            return {t.name: self.shape(t, details, plans) for t in self.schema.get_possible_types(named)}
        return None

    def shape(self, type_: GraphQLObjectType, details: FieldDetailsList, plans: list[PagePlan] | None) -> list[_Field]:
        """The fields selected on an object of `type_`; `plans`: the pages read under it (None: none)."""
        collected = collect_subfields(
            self.schema, self.executor.fragments, self.executor.variable_values, self.executor.operation, type_, details
        )
        if collected.new_defer_usages:
            raise _NotCovered
        connections = prefetch.CONNECTION_FIELDS.get(type_.name, {})
        fields = []
        for key, group in collected.grouped_field_set.items():
            name = group[0].node.name.value
            if name == "__typename":
                fields.append(_Field(key, _TYPENAME, type_name=type_.name))
                continue
            definition = type_.fields.get(name)
            strawberry_field = definition.extensions.get(_BACKREF) if definition is not None else None
            if definition is None or not isinstance(strawberry_field, StrawberryField):
                raise _NotCovered
            relation = connections.get(name)
            if relation is not None:
                fields.append(self._page(key, relation, definition, group, plans))
            elif strawberry_field.is_basic_field:
                fields.append(
                    _Field(
                        key,
                        _VALUE,
                        definition.type,
                        strawberry_field.python_name,
                        strawberry_field.default_resolver,
                        self.shapes(definition.type, group, plans),
                    )
                )
            elif (permission := _admin_only(strawberry_field)) is not None and self.shapes(
                definition.type, group, plans
            ) is None:
                refused: list | None = [] if permission.return_empty_list else None
                fields.append(
                    _Field(
                        key,
                        _ADMIN_ONLY,
                        definition.type,
                        strawberry_field.python_name,
                        strawberry_field.default_resolver,
                        refused=refused,
                    )
                )
            else:
                raise _NotCovered  # a resolver of its own: execution runs it
        return fields

    def _page(
        self, key: str, relation: str, definition: Any, group: FieldDetailsList, plans: list[PagePlan] | None
    ) -> _Field:
        """A relation page: covered when the prefetch plan reads exactly this page."""
        if plans is None:
            raise _NotCovered  # under a listing or a search hit: execution loads it level by level
        arguments = self._arguments(definition, group)
        try:
            win = self.context.window(arguments.get("first"), arguments.get("after"))
            wanted: tuple[str, int, int] | None = (relation, win.skip, win.limit)
        except InvalidInput:
            wanted = None  # the resolver answers with the error
        page = next((p for p in plans if p.key == wanted), None)
        if page is None:
            raise _NotCovered  # left out of the plan (a directive, the limits): its resolver reads it
        return _Field(
            key, _PAGE, definition.type, shapes=self.shapes(definition.type, group, page.children), page=page.key
        )

    def root(self) -> tuple[list[_Field], list[Awaitable[Any]]]:
        """The root fields compiled, and the reads that fetch their values (each a value and the
        pages read with it), not started yet."""
        query_type = self.schema.query_type
        assert query_type is not None
        collected = collect_fields(
            self.schema, self.executor.fragments, self.executor.variable_values, query_type, self.executor.operation
        )
        if collected.new_defer_usages:
            raise _NotCovered
        fields: list[_Field] = []
        reads: list[Callable[[], Awaitable[Any]]] = []
        for key, group in collected.grouped_field_set.items():
            name = group[0].node.name.value
            if name == "__typename":
                fields.append(_Field(key, _TYPENAME, type_name=query_type.name))
                continue
            definition = query_type.fields.get(name)
            strawberry_field = definition.extensions.get(_BACKREF) if definition is not None else None
            if definition is None or not isinstance(strawberry_field, StrawberryField) or strawberry_field.extensions:
                raise _NotCovered  # introspection, or a field with permissions of its own
            reads_as = strawberry_field.metadata.get(READS)
            if not isinstance(reads_as, RootRead):
                raise _NotCovered
            arguments = self._arguments(definition, group)
            if reads_as.label is not None:
                plans = prefetch.node_plans(self.view, [d.node for d in group], reads_as.label)
                shapes = self.shapes(definition.type, group, plans)
                reads.append(self._node_read(reads_as.label, arguments["id"], plans))
            else:
                assert reads_as.read is not None
                shapes = self.shapes(definition.type, group, None)
                reads.append(self._root_read(reads_as.read, strawberry_field, arguments))
            fields.append(_Field(key, _VALUE, definition.type, shapes=shapes))
        return fields, [read() for read in reads]

    def _node_read(self, label: str, node_id: str, plans: list[PagePlan]) -> Callable[[], Awaitable[Any]]:
        async def read() -> tuple[Any, dict]:
            found = await prefetch.read_node(self.view, label, node_id, plans)
            return (None if found.node is None else node_from_row(label, found.node)), found.pages

        return read

    def _root_read(
        self, read: Callable[..., Awaitable[Any]], field: StrawberryField, arguments: dict[str, Any]
    ) -> Callable[[], Awaitable[Any]]:
        schema = self.strawberry_schema
        try:
            # As Strawberry hands them to the resolver: Python names, input objects built.
            kwargs = convert_arguments(
                arguments, field.arguments, schema.schema_converter.scalar_registry, schema.config
            )
        except Exception as error:
            raise _NotCovered from error

        async def run() -> tuple[Any, dict]:
            return await read(self.context, **kwargs), {}

        return run


class _Answerer:
    """Builds the answer from the values read, as execution completes them (graphql-core's
    complete_value), with the pages read alongside a node fetched by id."""

    def __init__(self, admin: bool, pages: dict):
        self.admin = admin
        self.pages = pages

    def complete(self, value: Any, type_: Any, field: _Field) -> Any:
        if isinstance(type_, GraphQLNonNull):
            completed = self.complete(value, type_.of_type, field)
            if completed is None:
                raise _NotCovered  # execution answers this with an error
            return completed
        if value is None:
            return None
        if isinstance(type_, GraphQLList):
            return [self.complete(item, type_.of_type, field) for item in value]
        if isinstance(type_, (GraphQLScalarType, GraphQLEnumType)):
            coerced = type_.coerce_output_value(value)
            if coerced is None or coerced is Undefined:
                raise _NotCovered
            return coerced
        assert field.shapes is not None
        if is_abstract_type(type_):
            definition = getattr(type(value), "__strawberry_definition__", None)
            shape = field.shapes.get(definition.name) if definition is not None else None
        else:
            shape = field.shapes.get(type_.name)
        if shape is None:
            raise _NotCovered
        return self.object(value, shape)

    def object(self, value: Any, shape: list[_Field]) -> dict[str, Any]:
        answer: dict[str, Any] = {}
        for field in shape:
            kind = field.kind
            if kind == _VALUE:
                assert field.get is not None
                answer[field.key] = self.complete(field.get(value, field.python_name), field.type, field)
            elif kind == _TYPENAME:
                answer[field.key] = field.type_name
            elif kind == _PAGE:
                relation, skip, limit = field.page
                found = self.pages.get((relation, value.id, skip, limit))
                if found is None:
                    raise _NotCovered
                edges, total = found
                answer[field.key] = self.complete(RELATION_PAGES[relation](edges, total, skip), field.type, field)
            elif self.admin:  # _ADMIN_ONLY
                assert field.get is not None
                answer[field.key] = self.complete(field.get(value, field.python_name), field.type, field)
            else:
                answer[field.key] = field.refused
        return answer


async def answer(schema: Any, document: Any, variables: Any, operation_name: str | None, context: Any) -> dict | None:
    """The data of a covered query operation, as execution would answer it; None when not covered."""
    # graphql-core's own steps pick the operation and coerce its variables, exactly as
    # execution will; a request they refuse is left for execution to answer.
    executor = Executor.build(schema._schema, document, raw_variable_values=variables, operation_name=operation_name)
    if isinstance(executor, list) or executor.operation.operation != GraphQLOperationType.QUERY:
        return None
    try:
        fields, reads = _Compiler(schema, executor, context).root()
    except _NotCovered:
        return None
    except Exception:
        # A defect here must not cost the caller the answer: execution gives it.
        log.exception("compiling a read failed; execution answers it")
        return None
    # Concurrently, as execution runs a query's root fields (so the loaders batch alike);
    # every read settles before the answer, or the fallback, goes on.
    values = await asyncio.gather(*reads, return_exceptions=True)
    failed = next((value for value in values if isinstance(value, BaseException)), None)
    if failed is not None:
        if isinstance(failed, asyncio.CancelledError):
            raise failed
        log.debug("compiled read left to execution: %s", type(failed).__name__)
        return None
    admin = VisibleToAdmins.allows(context)
    data: dict[str, Any] = {}
    try:
        read_values = iter(values)
        for field in fields:
            if field.kind == _TYPENAME:
                data[field.key] = field.type_name
                continue
            value, pages = next(read_values)  # type: ignore[misc]  # no exceptions: checked above
            data[field.key] = _Answerer(admin, pages).complete(value, field.type, field)
    except (_NotCovered, GraphQLError):
        return None  # a value execution answers with an error (a null where non-null, a bad scalar)
    except Exception:
        log.exception("answering a compiled read failed; execution answers it")
        return None
    return data


class CompiledReads(SchemaExtension):
    """Answers a covered query operation without execution (see the module's description).
    Listed after the read-scope, cost and authorization checks, whose hooks run first."""

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        settings = getattr(context, "settings", None)
        if (
            execution.result is None
            and execution.graphql_document is not None
            and getattr(settings, "graphql_compiled_reads", False)
            and _is_query(execution)
        ):
            data = await answer(
                execution.schema, execution.graphql_document, execution.variables, execution.operation_name, context
            )
            prometheus.GRAPHQL_COMPILED_READS.labels("compiled" if data is not None else "executed").inc()
            if data is not None:
                execution.result = ExecutionResult(data=data, errors=None)
        yield


def _is_query(execution: Any) -> bool:
    try:
        return execution.operation_type == OperationType.QUERY
    except RuntimeError:  # no such operation: execution reports that itself
        return False
