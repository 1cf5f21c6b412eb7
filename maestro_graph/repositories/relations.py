"""Pages of a node's neighbours, for many nodes in one query.

A GraphQL request that asks for `uses` on fifty projects becomes one
`UNWIND $ids` query here, not fifty: the DataLoader layer gathers the ids.
`neighbourhood.py` nests the same relation templates to fetch several levels at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import neo4j

from maestro_graph.db.graph import fetch_maps
from maestro_graph.repositories.nodes import public_properties


@dataclass(frozen=True)
class Relation:
    anchor: str  # label of the node the page belongs to
    # From the anchor `{s}` to the neighbour `{n}` through relationship `{r}`; the variable
    # names are filled in by the query builders (fixed names here, numbered when nested).
    pattern: str
    neighbour: str  # label of the neighbour
    order: str = "{n}.name, {n}.id"

    def match(self, s: str, r: str, n: str) -> str:
        return self.pattern.format(s=s, r=r, n=n)

    def order_by(self, n: str) -> str:
        return self.order.format(n=n)


RELATIONS: dict[str, Relation] = {
    "project_uses": Relation("Project", "({s})-[{r}:USES]->({n}:Artifact)", "Artifact"),
    "project_members": Relation("Project", "({n}:Person)-[{r}:MEMBER_OF]->({s})", "Person", "{n}.id"),
    "artifact_used_by": Relation("Artifact", "({n}:Project)-[{r}:USES]->({s})", "Project"),
    "artifact_creators": Relation("Artifact", "({n}:Person)-[{r}:CREATED]->({s})", "Person", "{n}.id"),
    "artifact_derived_from": Relation("Artifact", "({s})-[{r}:DERIVED_FROM]->({n}:Artifact)", "Artifact"),
    "artifact_derivatives": Relation("Artifact", "({n}:Artifact)-[{r}:DERIVED_FROM]->({s})", "Artifact"),
    "person_projects": Relation("Person", "({s})-[{r}:MEMBER_OF]->({n}:Project)", "Project"),
    "person_created": Relation("Person", "({s})-[{r}:CREATED]->({n}:Artifact)", "Artifact"),
    "person_teams": Relation("Person", "({s})-[{r}:IN_TEAM]->({n}:Team)", "Team"),
    "team_members": Relation("Team", "({n}:Person)-[{r}:IN_TEAM]->({s})", "Person", "{n}.id"),
}

def _page_query(relation: Relation) -> str:
    pattern = relation.match("s", "r", "n")
    return f"""
UNWIND $ids AS id
MATCH (s:{relation.anchor} {{id: id}})
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
