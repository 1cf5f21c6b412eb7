"""What a query may cost before it runs: the objects its answer can hold. Every field
that returns objects counts once for each object it can be resolved on, so a page of
`first: 50` under a page of `first: 20` costs a thousand times what one item under it
costs. A bulk write counts as a page of its inputs (its `inputs` list argument): its
answer's cost for each input, and at least one. Scalar fields are free (the token limit
bounds how many a query can name). The estimate is the worst case: pages are taken as
full, skip/include ignored.

A bulk write with more than `MAX_BATCH_ITEMS` inputs is refused outright, as is a query
over `max_cost`: before anything runs, authorization's reads included. Otherwise its cost is taken from the
caller's budget (per client, or per address when anonymous), and an empty budget
answers RATE_LIMITED with HTTP 429 and Retry-After.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_interface_type,
    is_object_type,
)
from strawberry.extensions import SchemaExtension

from maestro_graph.graphql.errors import ErrorCode
from maestro_graph.ratelimit import TokenBuckets

PAGE_ARGUMENT = "first"
# The list argument of a bulk write: each of its items is work, whatever the answer selects.
BATCH_ARGUMENT = "inputs"
MAX_BATCH_ITEMS = 1000


@dataclass(frozen=True)
class CostPolicy:
    max_cost: int
    default_page: int
    max_page: int
    budget: TokenBuckets


class _Estimator:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any], policy: CostPolicy):
        self.schema = schema
        self.variables = variables
        self.policy = policy
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        # A fragment's cost is the same wherever it is spread: computed once, so a
        # fragment spread a thousand times over is not walked a thousand times.
        self._fragment_costs: dict[str, int] = {}
        # Bulk fields with more than MAX_BATCH_ITEMS inputs, with their number.
        self.oversized: list[tuple[FieldNode, int]] = []

    def selection_cost(self, selection_set: SelectionSetNode | None, parent: Any) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field_cost(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                total += self.selection_cost(
                    selection.selection_set, self._type(condition.name.value) if condition else parent
                )
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment_cost(selection.name.value)
        return total

    def fragment_cost(self, name: str) -> int:
        if name not in self._fragment_costs:
            self._fragment_costs[name] = 0  # a cycle (refused by validation anyway) costs nothing more
            fragment = self.fragments.get(name)
            if fragment is not None:
                self._fragment_costs[name] = self.selection_cost(
                    fragment.selection_set, self._type(fragment.type_condition.name.value)
                )
        return self._fragment_costs[name]

    def field_cost(self, node: FieldNode, parent: Any) -> int:
        name = node.name.value
        fields = getattr(parent, "fields", None) if (is_object_type(parent) or is_interface_type(parent)) else None
        definition = fields.get(name) if fields else None
        if definition is None:  # __typename, introspection, or a field validation already refused
            return 0 if node.selection_set is None else 1
        if node.selection_set is None:
            return 0
        child = get_named_type(definition.type)
        if BATCH_ARGUMENT in definition.args:
            items = self.batch_size(node)
            if items > MAX_BATCH_ITEMS:
                self.oversized.append((node, items))
            return 1 + items * max(1, self.selection_cost(node.selection_set, child))
        pages = self.page_size(node) if PAGE_ARGUMENT in definition.args else 1
        return 1 + pages * self.selection_cost(node.selection_set, child)

    def batch_size(self, node: FieldNode) -> int:
        """The number of items in the field's `inputs`: a list written out or in a variable (a
        single item stands for a list of one, as GraphQL's input coercion takes it)."""
        for argument in node.arguments or ():
            if argument.name.value != BATCH_ARGUMENT:
                continue
            value: Any = argument.value
            if isinstance(value, VariableNode):
                value = self.variables.get(value.name.value)
                return len(value) if isinstance(value, list) else 1
            return len(value.values) if isinstance(value, ListValueNode) else 1
        return 0

    def page_size(self, node: FieldNode) -> int:
        for argument in node.arguments or ():
            if argument.name.value != PAGE_ARGUMENT:
                continue
            value = argument.value
            size: Any
            if isinstance(value, IntValueNode):
                size = int(value.value)
            elif isinstance(value, VariableNode):
                size = self.variables.get(value.name.value)
            else:
                size = None
            if isinstance(size, int) and not isinstance(size, bool):
                return max(0, min(size, self.policy.max_page))
        return self.policy.default_page

    def _type(self, name: str) -> Any:
        return self.schema.get_type(name)


def estimate(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    policy: CostPolicy,
) -> tuple[int, list[tuple[FieldNode, int]]]:
    """The operation's cost, and its bulk fields over MAX_BATCH_ITEMS with their number of inputs."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [op for op in operations if operation_name is None or (op.name and op.name.value == operation_name)]
    if not chosen:
        return 0, []
    operation = chosen[0]
    root = schema.get_root_type(operation.operation)
    estimator = _Estimator(schema, document, variables or {}, policy)
    # Every request costs something, even one naming only scalars.
    return max(1, estimator.selection_cost(operation.selection_set, root)), estimator.oversized


def too_many_items(field_name: str, given: int, nodes: list[FieldNode] | None = None) -> GraphQLError:
    return GraphQLError(
        f"{field_name} takes at most {MAX_BATCH_ITEMS} {BATCH_ARGUMENT} (got {given}): send them in several calls",
        nodes,
        extensions={"code": ErrorCode.QUERY_TOO_COSTLY, "maxItems": MAX_BATCH_ITEMS},
    )


class CostLimit(SchemaExtension):
    def __init__(self, policy: CostPolicy):
        self.policy = policy
        self.cost: int | None = None

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.result is None and context.graphql_document is not None:
            self.cost, oversized = estimate(
                context.schema._schema, context.graphql_document, context.operation_name, context.variables, self.policy
            )
            if oversized:
                errors = [too_many_items(node.name.value, given, [node]) for node, given in oversized]
                context.result = ExecutionResult(data=None, errors=errors)
            else:
                context.result = self._refusal(self.cost)
        yield

    def _refusal(self, cost: int) -> ExecutionResult | None:
        if cost > self.policy.max_cost:
            return ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        f"query cost {cost} is over the limit of {self.policy.max_cost}: "
                        "ask for smaller pages or fewer nested lists",
                        extensions={"code": ErrorCode.QUERY_TOO_COSTLY, "cost": cost, "maxCost": self.policy.max_cost},
                    )
                ],
            )
        request_context = self.execution_context.context
        wait = self.policy.budget.take(_budget_key(request_context), cost)
        if not wait:
            return None
        retry_after = math.ceil(wait)
        response = getattr(request_context, "response", None)
        if response is not None:
            response.status_code = 429
            response.headers["Retry-After"] = str(retry_after)
        return ExecutionResult(
            data=None,
            errors=[
                GraphQLError(
                    f"query budget spent: retry in {retry_after} s",
                    extensions={"code": ErrorCode.RATE_LIMITED, "cost": cost, "retryAfter": retry_after},
                )
            ],
        )

    def get_results(self) -> dict:
        return {"cost": self.cost} if self.cost is not None else {}


def _budget_key(context: Any) -> str:
    principal = getattr(context, "principal", None)
    key = principal.budget_key if principal is not None else None
    if key:
        return key
    request = getattr(context, "request", None)
    client = getattr(request, "client", None)
    return f"ip:{client.host if client else 'unknown'}"
