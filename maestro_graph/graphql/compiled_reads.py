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

What step 1 makes of an operation depends only on the document, the operation's name and the
variables its selection uses below the root fields (in directives and page arguments): it is
kept per parsed document (Strawberry's parser cache hands the same one back for the same
text), so a client repeating a read with other ids compiles it once.

Anything else, or anything unexpected on the way (a bad argument, a null where the schema
says non-null, an error from Neo4j), leaves the operation to execution, which then answers
it as it always does: this path never answers with an error of its own.
`MAESTRO_GRAPHQL_COMPILED_READS=false` turns it off; tests/test_compiled_reads.py holds the
two paths' answers equal.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    Node,
    OperationDefinitionNode,
    Undefined,
    VariableNode,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
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
from maestro_graph.graphql.mutation_authorization import is_operation
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
    prefetch's pages, or `read(view, **arguments)`, the function its resolver calls."""

    label: str | None = None
    read: Callable[..., Awaitable[Any]] | None = None


def node_by_id(label: str) -> dict[str, RootRead]:
    """Metadata of a root field that returns the `label` node its `id` names (`prefetch.node_with_pages`)."""
    return {READS: RootRead(label=label)}


def read_with(read: Callable[..., Awaitable[Any]]) -> dict[str, RootRead]:
    """Metadata of a root field whose resolver returns `await read(info._raw_info, **arguments)`
    (the operation as `prefetch.OperationView`, with the request's context)."""
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


@dataclass
class _Request:
    """What answering one request needs beyond the compiled operation."""

    admin: bool  # may see admin-only values
    pages: dict = field(default_factory=dict)  # the pages read with the root field being answered


# A compiled value: the JSON value of a Python value, as execution completes it.
Completer = Callable[[Any, _Request], Any]

# What a field of the answer is, once compiled.
_TYPENAME, _VALUE, _ADMIN_ONLY, _PAGE = range(4)


@dataclass(frozen=True)
class _Field:
    key: str  # the response key (the alias, or the name)
    kind: int
    complete: Completer | None = None
    python_name: str = ""
    get: Callable[[Any, str], Any] = getattr
    type_name: str = ""  # __typename's answer
    refused: Any = None  # an admin-only value's answer for others
    page: tuple[str, int, int] = ("", 0, 0)  # relation, skip, limit


def _object(value: Any, shape: list[_Field], request: _Request) -> dict[str, Any]:
    answer: dict[str, Any] = {}
    for field_ in shape:
        kind = field_.kind
        if kind == _VALUE:
            answer[field_.key] = field_.complete(field_.get(value, field_.python_name), request)  # type: ignore[misc]
        elif kind == _TYPENAME:
            answer[field_.key] = field_.type_name
        elif kind == _PAGE:
            relation, skip, limit = field_.page
            found = request.pages.get((relation, value.id, skip, limit))
            if found is None:
                raise _NotCovered
            edges, total = found
            answer[field_.key] = field_.complete(RELATION_PAGES[relation](edges, total, skip), request)  # type: ignore[misc]
        elif request.admin:  # _ADMIN_ONLY
            answer[field_.key] = field_.complete(field_.get(value, field_.python_name), request)  # type: ignore[misc]
        else:
            answer[field_.key] = field_.refused
    return answer


def _admin_only(field_: StrawberryField) -> PermissionExtension | None:
    """The field's permission when its value is visible to admins only (null for others)."""
    if len(field_.extensions) != 1 or field_.base_resolver is not None:
        return None
    extension = field_.extensions[0]
    if (
        isinstance(extension, PermissionExtension)
        and extension.fail_silently
        and all(isinstance(permission, VisibleToAdmins) for permission in extension.permissions)
    ):
        return extension
    return None


@dataclass(frozen=True)
class _Root:
    """A root field that reads: how, with which arguments, and what it plans to read."""

    definition: GraphQLField
    strawberry_field: StrawberryField
    reads_as: RootRead
    details: FieldDetailsList
    plans: list[PagePlan]
    # Arguments as the resolver takes them, by their coerced values (building the input
    # objects is most of what this path does per request): the reads never change them.
    converted: OrderedDict = field(default_factory=OrderedDict, compare=False)


MAX_CONVERTED = 64  # argument values kept converted per root field


def _frozen(value: Any) -> Any:
    """`value` (coerced argument values) as a key; TypeError for what cannot be one."""
    if isinstance(value, dict):
        return ("{}", tuple(sorted((name, _frozen(item)) for name, item in value.items())))
    if isinstance(value, list):
        return ("[]", tuple(_frozen(item) for item in value))
    hash(value)
    return value


@dataclass(frozen=True)
class _Operation:
    """A compiled operation: its root fields, and the reads of those that read."""

    fields: list[_Field]
    roots: list[_Root]


class _Compiler:
    """Compiles an operation's selection against the schema (step 1, no I/O)."""

    def __init__(self, executor: Executor, view: _View):
        self.schema: GraphQLSchema = executor.schema
        self.executor = executor
        self.view = view

    def completer(self, type_: GraphQLOutputType, details: FieldDetailsList, plans: list[PagePlan] | None) -> Completer:
        """How execution completes a value of `type_` (graphql-core's complete_value), compiled."""
        if isinstance(type_, GraphQLNonNull):
            inner = self.completer(type_.of_type, details, plans)

            def non_null(value: Any, request: _Request) -> Any:
                completed = inner(value, request)
                if completed is None:
                    raise _NotCovered  # execution answers this with an error
                return completed

            return non_null
        if isinstance(type_, GraphQLList):
            item = self.completer(type_.of_type, details, plans)
            return lambda value, request: None if value is None else [item(v, request) for v in value]
        if isinstance(type_, (GraphQLScalarType, GraphQLEnumType)):
            coerce = type_.coerce_output_value

            def leaf(value: Any, request: _Request) -> Any:
                if value is None:
                    return None
                coerced = coerce(value)
                if coerced is None or coerced is Undefined:
                    raise _NotCovered
                return coerced

            return leaf
        if isinstance(type_, GraphQLObjectType):
            shape = self.shape(type_, details, plans)
            return lambda value, request: None if value is None else _object(value, shape, request)
        if is_abstract_type(type_):
            shapes = {t.name: self.shape(t, details, plans) for t in self.schema.get_possible_types(type_)}

            def abstract(value: Any, request: _Request) -> Any:
                if value is None:
                    return None
                definition = getattr(type(value), "__strawberry_definition__", None)
                shape = shapes.get(definition.name) if definition is not None else None
                if shape is None:
                    raise _NotCovered
                return _object(value, shape, request)

            return abstract
        raise _NotCovered

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
                complete = self.completer(definition.type, group, plans)
                get = strawberry_field.default_resolver
                fields.append(_Field(key, _VALUE, complete, strawberry_field.python_name, get))
            elif (permission := _admin_only(strawberry_field)) is not None and is_leaf_type(
                get_named_type(definition.type)
            ):
                complete = self.completer(definition.type, group, plans)
                refused: list | None = [] if permission.return_empty_list else None
                get = strawberry_field.default_resolver
                fields.append(_Field(key, _ADMIN_ONLY, complete, strawberry_field.python_name, get, refused=refused))
            else:
                raise _NotCovered  # a resolver of its own: execution runs it
        return fields

    def _page(
        self, key: str, relation: str, definition: GraphQLField, group: FieldDetailsList, plans: list[PagePlan] | None
    ) -> _Field:
        """A relation page: covered when the prefetch plan reads exactly this page."""
        if plans is None:
            raise _NotCovered  # under a listing or a search hit: execution loads it level by level
        arguments = _arguments(definition, group, self.executor)
        try:
            win = self.view.context.window(arguments.get("first"), arguments.get("after"))
            wanted: tuple[str, int, int] | None = (relation, win.skip, win.limit)
        except InvalidInput:
            wanted = None  # the resolver answers with the error
        page = next((p for p in plans if p.key == wanted), None)
        if page is None:
            raise _NotCovered  # left out of the plan (a directive, the limits): its resolver reads it
        complete = self.completer(definition.type, group, page.children)
        return _Field(key, _PAGE, complete, page=page.key)

    def operation(self) -> _Operation:
        query_type = self.schema.query_type
        assert query_type is not None
        collected = collect_fields(
            self.schema, self.executor.fragments, self.executor.variable_values, query_type, self.executor.operation
        )
        if collected.new_defer_usages:
            raise _NotCovered
        fields: list[_Field] = []
        roots: list[_Root] = []
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
            if reads_as.label is not None:
                plans = prefetch.node_plans(self.view, [d.node for d in group], reads_as.label)
                complete = self.completer(definition.type, group, plans)
            else:
                plans = []
                complete = self.completer(definition.type, group, None)
            fields.append(_Field(key, _VALUE, complete))
            roots.append(_Root(definition, strawberry_field, reads_as, group, plans))
        return _Operation(fields, roots)


def _arguments(definition: GraphQLField, details: FieldDetailsList, executor: Executor) -> dict[str, Any]:
    try:
        return get_argument_values(
            definition, details[0].node, executor.variable_values, details[0].fragment_variable_values
        )
    except GraphQLError as error:
        raise _NotCovered from error


def _read(root: _Root, executor: Executor, view: _View, schema: Any) -> Awaitable[tuple[Any, dict]]:
    """Root field `root`'s read, as its resolver reads (not started)."""
    arguments = _arguments(root.definition, root.details, executor)
    label = root.reads_as.label
    if label is not None:
        node_id = arguments["id"]

        async def node() -> tuple[Any, dict]:
            found = await prefetch.read_node(view, label, node_id, root.plans)
            return (None if found.node is None else node_from_row(label, found.node)), found.pages

        return node()
    read = root.reads_as.read
    assert read is not None
    try:
        key = _frozen(arguments)
    except TypeError:
        key = None
    kwargs = root.converted.get(key) if key is not None else None
    if kwargs is None:
        try:
            # As Strawberry hands them to the resolver: Python names, input objects built.
            kwargs = convert_arguments(
                arguments, root.strawberry_field.arguments, schema.schema_converter.scalar_registry, schema.config
            )
        except Exception as error:
            raise _NotCovered from error
        if key is not None:
            root.converted[key] = kwargs
            while len(root.converted) > MAX_CONVERTED:
                root.converted.popitem(last=False)

    async def other() -> tuple[Any, dict]:
        return await read(view, **kwargs), {}

    return other()


# --- Compiled operations, kept per parsed document ----------------------------------------

_NOT_COVERED = object()
MAX_DOCUMENTS = 256  # as many as Strawberry's parser cache keeps
MAX_VARIANTS = 32  # compiled variants of one operation (values of the variables its shape uses)


@dataclass
class _DocumentEntry:
    document: DocumentNode  # held, so that its id is not reused while the entry lives
    schema: GraphQLSchema  # what it was compiled against
    # (operation name, settings, values of the shape's variables) -> compiled or _NOT_COVERED
    variants: OrderedDict = field(default_factory=OrderedDict)
    shape_variables: dict[str | None, tuple[str, ...]] = field(default_factory=dict)


_documents: OrderedDict[int, _DocumentEntry] = OrderedDict()


def _variables_in(node: Any, out: list[VariableNode]) -> None:
    if isinstance(node, VariableNode):
        out.append(node)
    elif isinstance(node, Node):
        for key in node.keys:
            _variables_in(getattr(node, key, None), out)
    elif isinstance(node, (list, tuple)):
        for item in node:
            _variables_in(item, out)


def _shape_variables(document: DocumentNode, operation: OperationDefinitionNode) -> tuple[str, ...]:
    """The variables a compiled operation depends on: all it uses except those only in its root
    fields' arguments (ids, filters, search text: read per request)."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    everywhere: list[VariableNode] = []
    _variables_in(operation.selection_set, everywhere)
    _variables_in(list(fragments.values()), everywhere)
    in_root_arguments: set[int] = set()
    seen: set[str] = set()

    def root_level(selection_set: Any) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                found: list[VariableNode] = []
                _variables_in(selection.arguments, found)
                in_root_arguments.update(id(v) for v in found)
            elif isinstance(selection, InlineFragmentNode):
                root_level(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    root_level(fragment.selection_set)

    root_level(operation.selection_set)
    return tuple(sorted({v.name.value for v in everywhere if id(v) not in in_root_arguments}))


def _compiled(executor: Executor, view: _View, document: DocumentNode, operation_name: str | None) -> _Operation | None:
    """The compiled operation (None: not covered), from the cache when this variant was compiled."""
    entry = _documents.get(id(document))
    if entry is None or entry.document is not document or entry.schema is not executor.schema:
        entry = _documents[id(document)] = _DocumentEntry(document, executor.schema)
        while len(_documents) > MAX_DOCUMENTS:
            _documents.popitem(last=False)
    else:
        _documents.move_to_end(id(document))
    names = entry.shape_variables.get(operation_name)
    if names is None:
        names = entry.shape_variables[operation_name] = _shape_variables(document, executor.operation)
    coerced: dict[str, Any] = executor.variable_values.coerced
    settings = view.context.settings
    try:
        key = (
            operation_name,
            settings.graphql_prefetch,
            settings.page_size_default,
            settings.page_size_max,
            tuple((name, coerced.get(name)) for name in names),
        )
        compiled = entry.variants.get(key)
    except TypeError:  # a value that cannot be a key (a list, an input object): compile afresh
        key, compiled = None, None
    if compiled is None:
        try:
            compiled = _Compiler(executor, view).operation()
        except _NotCovered:
            compiled = _NOT_COVERED
        if key is not None:
            entry.variants[key] = compiled
            while len(entry.variants) > MAX_VARIANTS:
                entry.variants.popitem(last=False)
    return compiled if isinstance(compiled, _Operation) else None


async def answer(schema: Any, document: Any, variables: Any, operation_name: str | None, context: Any) -> dict | None:
    """The data of a covered query operation, as execution would answer it; None when not covered."""
    # graphql-core's own steps pick the operation and coerce its variables, exactly as
    # execution will; a request they refuse is left for execution to answer.
    executor = Executor.build(schema._schema, document, raw_variable_values=variables, operation_name=operation_name)
    if isinstance(executor, list) or executor.operation.operation != GraphQLOperationType.QUERY:
        return None
    view = _View(executor.schema, executor.operation, executor.fragment_definitions, executor.variable_values, context)
    try:
        compiled = _compiled(executor, view, document, operation_name)
        if compiled is None:
            return None
        reads = [_read(root, executor, view, schema) for root in compiled.roots]
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
    request = _Request(VisibleToAdmins.allows(context))
    data: dict[str, Any] = {}
    try:
        read_values = iter(cast(list[tuple[Any, dict]], values))
        for field_ in compiled.fields:
            if field_.kind == _TYPENAME:
                data[field_.key] = field_.type_name
                continue
            value, request.pages = next(read_values)  # no exceptions: checked above
            data[field_.key] = field_.complete(value, request)  # type: ignore[misc]  # set on every read
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
            and is_operation(execution, OperationType.QUERY)
        ):
            data = await answer(
                execution.schema, execution.graphql_document, execution.variables, execution.operation_name, context
            )
            prometheus.GRAPHQL_COMPILED_READS.labels("compiled" if data is not None else "executed").inc()
            if data is not None:
                execution.result = ExecutionResult(data=data, errors=None)
        yield
