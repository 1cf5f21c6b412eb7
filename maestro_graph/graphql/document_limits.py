"""How much a GraphQL document asks for, measured before any validation rule runs.

Three limits, over the document's operations with every fragment spread expanded:

- depth: fields with selections nested in one another, counted as Strawberry's
  QueryDepthLimiter counts them (fields of the introspection system are not descended);
- aliases: aliased fields, a fragment's counting again at each of its spreads;
- selections: fields, inline fragments and fragment spreads. Fragments save typing, not
  work: expanded, a document may ask for no more than the token limit lets it write out.

Why not Strawberry's QueryDepthLimiter and MaxAliasesLimiter: they walk a fragment again at
every spread of it, so a few hundred bytes of fragments, each spreading the one below ten
times, seven deep, kept them busy for 38 s, with the event loop blocked all along. Here each
fragment is walked once, after the fragments it spreads, and its measure is reused at each of
its spreads: the work grows with the document's length, whatever its spreads expand to (the
counts multiply, the walks do not). None of the walks recurses, so no nesting or chain of
spreads can exhaust the stack. A document over a limit is refused before graphql-core's
rules see it, so none of them walks an oversized expansion either.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from strawberry.extensions import ValidationCache

from maestro_graph.graphql.errors import ErrorCode

CODE = ErrorCode.QUERY_TOO_COMPLEX


@dataclass(frozen=True)
class Limits:
    max_depth: int
    max_aliases: int
    max_selections: int


@dataclass(frozen=True)
class Measure:
    depth: int = 0
    aliases: int = 0
    selections: int = 0


_NOTHING = Measure()


def _selection_sets(root: SelectionSetNode) -> Iterator[SelectionSetNode]:
    """`root` and every selection set within it, without following spreads (and without recursion)."""
    stack = [root]
    while stack:
        selection_set = stack.pop()
        yield selection_set
        stack.extend(
            s.selection_set
            for s in selection_set.selections
            if isinstance(s, (FieldNode, InlineFragmentNode)) and s.selection_set is not None
        )


def _spread_names(root: SelectionSetNode) -> list[str]:
    return [
        s.name.value
        for selection_set in _selection_sets(root)
        for s in selection_set.selections
        if isinstance(s, FragmentSpreadNode)
    ]


def _measure(root: SelectionSetNode, fragments: Mapping[str, Measure]) -> Measure:
    """The measure of a selection set, each spread's taken from `fragments`. A spread of a
    fragment not there (unknown, or closing a cycle; validation refuses both) adds nothing."""
    depth = aliases = selections = 0
    # Each selection set with the number of fields around it whose depth counts; None
    # beneath an introspection field, where depth is not counted at all.
    stack: list[tuple[SelectionSetNode, int | None]] = [(root, 0)]
    while stack:
        selection_set, around = stack.pop()
        for selection in selection_set.selections:
            selections += 1
            if isinstance(selection, FragmentSpreadNode):
                spread = fragments.get(selection.name.value, _NOTHING)
                aliases += spread.aliases
                selections += spread.selections
                if around is not None:
                    depth = max(depth, around + spread.depth)
            elif isinstance(selection, FieldNode):
                if selection.alias is not None:
                    aliases += 1
                if selection.selection_set is None:
                    continue
                inner = None if around is None or selection.name.value.startswith("__") else around + 1
                if inner is not None:
                    depth = max(depth, inner)
                stack.append((selection.selection_set, inner))
            elif isinstance(selection, InlineFragmentNode):  # its fields are at the level of its own
                stack.append((selection.selection_set, around))
    return Measure(depth, aliases, selections)


def _measure_fragments(fragments: Mapping[str, FragmentDefinitionNode]) -> dict[str, Measure]:
    """Every fragment's measure, each walked once. Fragments are measured in post-order of
    the spreads between them (kept on an explicit path, not the call stack), so those a
    fragment spreads are measured before it; a spread closing a cycle finds no measure."""
    spreads = {name: _spread_names(fragment.selection_set) for name, fragment in fragments.items()}
    measures: dict[str, Measure] = {}
    for root in fragments:
        if root in measures:
            continue
        path = [(root, iter(spreads[root]))]
        on_path = {root}
        while path:
            name, pending = path[-1]
            following = next((s for s in pending if s in fragments and s not in measures and s not in on_path), None)
            if following is None:
                path.pop()
                on_path.discard(name)
                measures[name] = _measure(fragments[name].selection_set, measures)
            else:
                path.append((following, iter(spreads[following])))
                on_path.add(following)
    return measures


def _refusal(message: str, nodes: list | None = None) -> GraphQLError:
    return GraphQLError(message, nodes, extensions={"code": CODE})


def refusals(document: DocumentNode, limits: Limits) -> list[GraphQLError]:
    """Why the document is refused before validation; empty when it is within the limits."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    measures = _measure_fragments(fragments)
    operations = [
        (d, _measure(d.selection_set, measures)) for d in document.definitions if isinstance(d, OperationDefinitionNode)
    ]
    if sum(measure.selections for _, measure in operations) > limits.max_selections:
        # Checked first: past it the other counts can be astronomically large.
        return [
            _refusal(
                f"the document asks for more than {limits.max_selections} fields and fragments once its "
                "fragments are spread; spread fewer fragments or ask for fewer fields"
            )
        ]
    # The messages of Strawberry's limiters, which callers may already match on.
    errors = [
        _refusal(
            f"'{operation.name.value if operation.name else 'anonymous'}' exceeds maximum operation "
            f"depth of {limits.max_depth}",
            [operation],
        )
        for operation, measure in operations
        if measure.depth > limits.max_depth
    ]
    aliases = sum(measure.aliases for _, measure in operations)
    if aliases > limits.max_aliases:
        errors.append(_refusal(f"{aliases} aliases found. Allowed: {limits.max_aliases}"))
    return errors


class LimitedValidation(ValidationCache):
    """Strawberry's ValidationCache, behind the document limits: a document over them is
    refused without graphql-core's rules; the rest is validated once per document and the
    outcome cached. The limits are checked on every request, cached document or not: their
    cost is linear in the document, as is the hashing that looks the document up."""

    def __init__(self, limits: Limits, maxsize: int) -> None:
        super().__init__(maxsize=maxsize)
        self.limits = limits

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None  # Strawberry validates parsed documents only
        errors = refusals(context.graphql_document, self.limits)
        if errors:
            context.pre_execution_errors = errors
            yield
        else:
            yield from super().on_validate()
