"""A node and pages of its neighbours, several levels deep, in one query.

The GraphQL layer plans which relation pages a request will read (see
`graphql/prefetch.py`); this module turns such a plan into one Cypher query of
nested `CALL` subqueries, built only from the fixed patterns of `graph_model`
with numbered variables. Everything a caller chose (ids, offsets, page sizes)
travels as a parameter.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import neo4j

from maestro_graph.db.graph import fetch_maps
from maestro_graph.graph_model import RELATIONS
from maestro_graph.repositories.nodes import LABELS, node_map, public_properties

Page = tuple[list[dict[str, Any]], int]
# Per node label, the properties to read (None for a label: all of them).
Projections = dict[str, tuple[str, ...] | None]


@dataclass
class PagePlan:
    """One relation page to read for every node at its level, and what to read under each neighbour."""

    relation: str
    skip: int
    limit: int
    children: list[PagePlan] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, int, int]:
        return self.relation, self.skip, self.limit


@dataclass
class Neighbourhood:
    """The answer: the node (None when absent) and, per planned page and anchor id, its page."""

    node: dict[str, Any] | None
    pages: dict[tuple[str, str, int, int], Page]  # (relation, anchor id, skip, limit) -> page


class _Builder:
    def __init__(self, projections: Projections | None) -> None:
        self.numbers = itertools.count(1)
        self.params: dict[str, int] = {}
        self.projections = projections or {}

    def node(self, label: str, n: str) -> str:
        """`n` as a map: only the listed properties when the request's selection is known, else all."""
        return node_map(n, self.projections.get(label))

    def page_block(self, plan: PagePlan, anchor: str) -> tuple[str, str, str]:
        """A `CALL` subquery reading `plan` for the node bound to `anchor`, the variable it
        binds, and a map expression {edges, total} to read its result in the anchor's scope."""
        k = next(self.numbers)
        relation = RELATIONS[plan.relation]
        n, r, edges = f"n{k}", f"r{k}", f"page{k}"
        self.params[f"skip{k}"], self.params[f"limit{k}"] = plan.skip, plan.limit
        nested = [self.page_block(child, n) for child in plan.children]
        lines = [
            f"CALL ({anchor}) {{",
            f"  MATCH {relation.pattern(anchor, r, n)}",
            f"  WITH {n}, {r} ORDER BY {relation.order_by(n)} SKIP $skip{k} LIMIT $limit{k}",
        ]
        lines += [block for block, _, _ in nested]
        if nested:
            # Subqueries keep their driving rows' order in practice, but collect() below must
            # see the page in order for certain: sort again (a page is small).
            carried = ", ".join(variable for _, variable, _ in nested)
            lines.append(f"  WITH {n}, {r}, {carried} ORDER BY {relation.order_by(n)}")
        children = ", ".join(f"c{i}: {value}" for i, (_, _, value) in enumerate(nested))
        lines.append(
            f"  RETURN collect({{node: {self.node(relation.neighbour.label, n)}, rel: properties({r}), "
            f"pages: {{{children}}}}}) AS {edges}"
        )
        lines.append("}")
        total = f"COUNT {{ {relation.pattern(anchor, f'rc{k}', f'nc{k}')} }}"
        return "\n".join(lines), edges, f"{{edges: {edges}, total: {total}}}"


def neighbourhood_query(
    label: str, plans: list[PagePlan], projections: Projections | None = None
) -> tuple[str, dict[str, int]]:
    """The query for `plans` under a `label` node; `projections` (label -> property names) limits
    the neighbours' properties to those the caller reads (the node itself comes whole)."""
    if label not in LABELS:
        raise ValueError(f"unknown label {label!r}")
    for plan in _walk(plans):
        if plan.relation not in RELATIONS:
            raise ValueError(f"unknown relation {plan.relation!r}")
    for names in (projections or {}).values():
        node_map("n", names)  # refuses anything but property names, before any query is built
    builder = _Builder(projections)
    blocks = [builder.page_block(plan, "n0") for plan in plans]
    children = ", ".join(f"c{i}: {value}" for i, (_, _, value) in enumerate(blocks))
    query = "\n".join(
        [
            f"MATCH (n0:{label} {{id: $id}})",
            *(block for block, _, _ in blocks),
            f"RETURN {public_properties('n0')} AS node, {{{children}}} AS pages",
        ]
    )
    return query, builder.params


def _walk(plans: list[PagePlan]):
    for plan in plans:
        yield plan
        yield from _walk(plan.children)


def _collect(plans: list[PagePlan], anchor_id: str, found: dict, out: dict) -> None:
    for i, plan in enumerate(plans):
        result = found[f"c{i}"]
        edges = [{"node": edge["node"], "rel": edge["rel"]} for edge in result["edges"]]
        out[(plan.relation, anchor_id, plan.skip, plan.limit)] = (edges, result["total"])
        for edge in result["edges"]:
            _collect(plan.children, edge["node"]["id"], edge["pages"], out)


async def read(
    tx: neo4j.AsyncManagedTransaction,
    label: str,
    node_id: str,
    plans: list[PagePlan],
    projections: Projections | None = None,
) -> Neighbourhood:
    query, params = neighbourhood_query(label, plans, projections)
    rows = await fetch_maps(tx, query, id=node_id, **params)
    if not rows:
        return Neighbourhood(None, {})
    pages: dict = {}
    _collect(plans, node_id, rows[0]["pages"], pages)
    return Neighbourhood(rows[0]["node"], pages)
