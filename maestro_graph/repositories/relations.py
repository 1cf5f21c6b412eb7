"""Pages of a node's neighbours, for many nodes in one query.

A GraphQL request that asks for `uses` on fifty projects becomes one
`UNWIND $ids` query here, not fifty: the DataLoader layer gathers the ids.
`neighbourhood.py` nests the same relation patterns to fetch several levels at once. The
relations themselves (anchor, relationship, neighbour, order) come from `graph_model`.
"""

from __future__ import annotations

from typing import Any

import neo4j

from maestro_graph.db.graph import fetch_maps
from maestro_graph.graph_model import RELATIONS, Relation
from maestro_graph.repositories.nodes import public_properties


def _page_query(relation: Relation) -> str:
    pattern = relation.pattern("s", "r", "n")
    return f"""
UNWIND $ids AS id
MATCH (s:{relation.anchor.label} {{id: id}})
CALL (s) {{
  MATCH {pattern}
  WITH n, r ORDER BY {relation.order_by("n")}
  SKIP $skip LIMIT $limit
  RETURN collect({{node: {public_properties("n")}, rel: properties(r)}}) AS edges
}}
RETURN id, edges, COUNT {{ {pattern} }} AS total
"""


PAGE_QUERIES = {name: _page_query(relation) for name, relation in RELATIONS.items()}


async def pages(
    tx: neo4j.AsyncManagedTransaction, name: str, ids: list[str], skip: int, limit: int
) -> dict[str, tuple[list[dict[str, Any]], int]]:
    """For each anchor id: (edges as {node, rel}, total neighbours). Missing anchors are absent."""
    rows = await fetch_maps(tx, PAGE_QUERIES[name], ids=ids, skip=skip, limit=limit)
    return {row["id"]: (row["edges"], row["total"]) for row in rows}
