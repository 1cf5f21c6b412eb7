"""A mutation document is authorized as a whole before its first field runs.

GraphQL runs a mutation's root fields one after another, and each field's permission is
checked as it resolves: a document whose second field is forbidden would have its first
field committed (and audited) before the refusal. Here every root field's rules, the same
ones the field declares (`maestro_graph.auth.permissions`), are checked with the
arguments it will be called with before any field runs; if one is refused, none runs.

The per-field checks stay: they are what guards each field as it runs, and they see the
graph as the fields before it left it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from functools import partial
from typing import Any

from graphql import DocumentNode, ExecutionResult, GraphQLError
from graphql.execution import Executor, get_argument_values
from graphql.execution.collect_fields import collect_fields
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments
from strawberry.types.execution import ExecutionContext
from strawberry.types.graphql import OperationType

from maestro_graph.auth.permissions import authorize


class _Arguments(Mapping[str, Any]):
    """A field's arguments as the resolver (and so each rule) receives them: Python names,
    input objects built. Built on first use: most rules never look, and building a bulk
    write's thousand input objects costs more than the rest of its authorization."""

    def __init__(self, build: Callable[[], dict[str, Any]]):
        self._build = build
        self._built: dict[str, Any] | None = None

    def _values(self) -> dict[str, Any]:
        if self._built is None:
            self._built = self._build()
        return self._built

    def __getitem__(self, name: str) -> Any:
        return self._values()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values())

    def __len__(self) -> int:
        return len(self._values())


class AuthorizeMutationsFirst(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if context.result is None and document is not None and is_operation(context, OperationType.MUTATION):
            refusals = await _refusals(context, document)
            if refusals:
                context.result = ExecutionResult(data=None, errors=refusals)
        yield


def is_operation(context: ExecutionContext, kind: OperationType) -> bool:
    """Whether the request's operation is of `kind` (False when the document names none it has)."""
    try:
        return context.operation_type == kind
    except RuntimeError:  # no such operation: execution reports that itself
        return False


async def _refusals(context: ExecutionContext, document: DocumentNode) -> list[GraphQLError]:
    """One error per root field the caller may not call, located at that field."""
    schema = context.schema
    graphql_schema = schema._schema
    mutation_type = graphql_schema.mutation_type
    # graphql-core's own steps pick the operation and coerce its variables, exactly as
    # execution will; a request they refuse is left for execution to answer.
    executor = Executor.build(
        graphql_schema,
        document,
        raw_variable_values=context.variables,
        operation_name=context.operation_name,
    )
    if isinstance(executor, list) or mutation_type is None:
        return []
    # Collected as execution collects them: fragments expanded, @skip and @include applied.
    grouped = collect_fields(
        graphql_schema, executor.fragments, executor.variable_values, mutation_type, executor.operation
    ).grouped_field_set
    refusals = []
    for response_key, details in grouped.items():
        node = details[0].node
        field = mutation_type.fields.get(node.name.value)
        if field is None:  # __typename
            continue
        try:
            raw = get_argument_values(field, node, executor.variable_values, details[0].fragment_variable_values)
        except GraphQLError:
            continue  # an argument execution will refuse: that field fails without running
        definition = field.extensions[GraphQLCoreConverter.DEFINITION_BACKREF]
        arguments = _Arguments(
            partial(
                convert_arguments, raw, definition.arguments, schema.schema_converter.scalar_registry, schema.config
            )
        )
        try:
            await authorize(definition, node.name.value, context.context, arguments)
        except GraphQLError as refusal:
            refusals.append(
                GraphQLError(refusal.message, nodes=[node], path=[response_key], extensions=refusal.extensions)
            )
    return refusals
