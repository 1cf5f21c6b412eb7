"""Filtered, sorted pages of nodes, and full-text search.

Sort orders come from a fixed table (an enum in the API), so the only text that
reaches Cypher is ours; every value from a caller is a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import neo4j

from maestro_graph.db.graph import fetch

# Each label's filter: every clause is inert when its parameter is null.
_FILTERS = {
    "Project": """
      ($text IS NULL OR toLower(n.name) CONTAINS $text OR toLower(coalesce(n.description, '')) CONTAINS $text)
      AND ($section IS NULL OR n.section = $section)
      AND ($status IS NULL OR n.status = $status)
      AND ($tags IS NULL OR any(tag IN $tags WHERE tag IN coalesce(n.tags, [])))""",
    "Artifact": """
      ($text IS NULL OR toLower(n.name) CONTAINS $text OR toLower(coalesce(n.description, '')) CONTAINS $text)
      AND ($section IS NULL OR n.section = $section)
      AND ($kinds IS NULL OR n.kind IN $kinds)""",
    "Person": """
      ($text IS NULL OR toLower(coalesce(n.name, n.id)) CONTAINS $text)
      AND ($kind IS NULL OR n.kind = $kind)""",
    "Team": """
      ($text IS NULL OR toLower(n.name) CONTAINS $text)""",
}

ORDER_EXPRESSIONS = {
    "NAME": "n.name",
    "ID": "n.id",
    "CREATED_AT": "n.created_at",
    # How connected a node is: users of an artifact, artifacts of a project, projects of a person.
    "DEGREE": "COUNT { (n)--() }",
}

_PARAMS = {
    "Project": ("text", "section", "status", "tags"),
    "Artifact": ("text", "section", "kinds"),
    "Person": ("text", "kind"),
    "Team": ("text",),
}


@dataclass(frozen=True)
class PageRequest:
    skip: int
    limit: int


def _page_query(label: str, order: str, descending: bool) -> str:
    expression = ORDER_EXPRESSIONS[order]
    direction = "DESC" if descending else "ASC"
    return f"""
MATCH (n:{label}) WHERE {_FILTERS[label]}
WITH n ORDER BY {expression} {direction}, n.id {direction}
SKIP $skip LIMIT $limit
RETURN n {{.*, embedding: null}} AS node
"""


def _count_query(label: str) -> str:
    return f"MATCH (n:{label}) WHERE {_FILTERS[label]} RETURN count(n) AS total"


PAGE_QUERIES = {
    (label, order, descending): _page_query(label, order, descending)
    for label in _FILTERS
    for order in ORDER_EXPRESSIONS
    for descending in (False, True)
}
COUNT_QUERIES = {label: _count_query(label) for label in _FILTERS}


def _filter_params(label: str, filters: dict[str, Any]) -> dict[str, Any]:
    params = {name: filters.get(name) for name in _PARAMS[label]}
    if params.get("text"):
        params["text"] = params["text"].lower()
    else:
        params["text"] = None
    return params


async def page(
    tx: neo4j.AsyncManagedTransaction,
    label: str,
    filters: dict[str, Any],
    order: str,
    descending: bool,
    request: PageRequest,
) -> tuple[list[dict], int]:
    """One page of `label` nodes and the total number matching the filters."""
    params = _filter_params(label, filters)
    rows = await fetch(tx, PAGE_QUERIES[(label, order, descending)], skip=request.skip, limit=request.limit, **params)
    total = await fetch(tx, COUNT_QUERIES[label], **params)
    return [row["node"] for row in rows], total[0]["total"]


# Lucene syntax in a caller's text is escaped: search means "these words", never a query language.
_LUCENE_SPECIAL = set('+-&|!(){}[]^"~*?:\\/')


def lucene_terms(text: str) -> str:
    escaped = "".join(f"\\{ch}" if ch in _LUCENE_SPECIAL else ch for ch in text)
    return " ".join(escaped.split())


SEARCH = """
CALL db.index.fulltext.queryNodes('entity_text', $terms) YIELD node, score
WITH node, score, labels(node)[0] AS label
WHERE ($labels IS NULL OR label IN $labels)
  AND ($artifact_kinds IS NULL OR label <> 'Artifact' OR node.kind IN $artifact_kinds)
RETURN label, node {.*, embedding: null} AS node, score
ORDER BY score DESC, node.id
LIMIT $limit
"""


async def search(
    tx: neo4j.AsyncManagedTransaction,
    text: str,
    labels: list[str] | None,
    artifact_kinds: list[str] | None,
    limit: int,
) -> list[dict[str, Any]]:
    terms = lucene_terms(text)
    if not terms:
        return []
    return await fetch(tx, SEARCH, terms=terms, labels=labels, artifact_kinds=artifact_kinds, limit=limit)
