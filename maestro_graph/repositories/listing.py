"""Filtered, sorted pages of nodes, and full-text search.

Sort orders come from a fixed table (an enum in the API), so the only text that
reaches Cypher is ours; every value from a caller is a parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import neo4j

from maestro_graph.db.graph import fetch_maps
from maestro_graph.repositories.nodes import LABELS, node_map, public_properties

# Each filter a caller can set, as a fixed Cypher predicate over `n`. Only the predicates of
# the filters actually given go into a query: a predicate like `($x IS NULL OR n.x = $x)`
# would keep Neo4j from using the index on n.x.
_PREDICATES = {
    "Project": {
        "text": "(toLower(n.name) CONTAINS $text OR toLower(coalesce(n.description, '')) CONTAINS $text)",
        "section": "n.section = $section",
        "status": "n.status = $status",
        "tags": "any(tag IN $tags WHERE tag IN coalesce(n.tags, []))",
    },
    "Artifact": {
        "text": "(toLower(n.name) CONTAINS $text OR toLower(coalesce(n.description, '')) CONTAINS $text)",
        "section": "n.section = $section",
        "kinds": "n.kind IN $kinds",
    },
    "Person": {
        "text": "toLower(coalesce(n.name, n.id)) CONTAINS $text",
        "kind": "n.kind = $kind",
    },
    "Team": {
        "text": "toLower(n.name) CONTAINS $text",
    },
}

ORDER_EXPRESSIONS = {
    "NAME": "n.name",
    "ID": "n.id",
    "CREATED_AT": "n.created_at",
    # How connected a node is in the domain graph: users of an artifact, artifacts and members
    # of a project, projects of a person. Bookkeeping edges (metrics, predictions) don't count.
    "DEGREE": "COUNT { (n)-[:USES|MEMBER_OF|CREATED|DERIVED_FROM|IN_TEAM]-() }",
}


# A page is read in a range index's order, its first rows only, instead of Neo4j reading and
# sorting every matching node, when the query lets the planner see that order:
# - Unfiltered, the sort property is one every node of the label has (required on every write
#   and import) and the query says so (`n.name IS NOT NULL`): a range index holds only the nodes
#   that have its properties, so without that predicate Neo4j cannot read a page from it.
# - Under an equality filter that leads a composite index with the name (migration 0009), the
#   filter's property goes first in ORDER BY: constant among the matches, it changes no order.
# People's names are optional, so people are read in name order only by sorting.
INDEX_ORDERED_PROPERTIES = {
    "Project": ("name", "id"),
    "Artifact": ("name", "id"),
    "Person": ("id",),
    "Team": ("name", "id"),
}
NAME_ORDER_INDEXES = {
    "Project": ("section", "status"),
    "Artifact": ("section",),
}
_ORDER_PROPERTIES = {"NAME": "name", "ID": "id"}


@dataclass(frozen=True)
class PageRequest:
    skip: int
    limit: int


def where_clause(label: str, given: tuple[str, ...], extra: tuple[str, ...] = ()) -> str:
    """The WHERE of the filters named in `given` (fixed predicates over `n`), and `extra`'s."""
    clauses = [_PREDICATES[label][name] for name in given] + list(extra)
    return f"WHERE {' AND '.join(clauses)}" if clauses else ""


@dataclass(frozen=True)
class _PageOrder:
    """How a page is ordered: its ORDER BY keys (without direction), the predicates that let an
    index provide that order, and that index's properties (empty: no index provides it)."""

    keys: list[str]
    present: tuple[str, ...] = ()
    index: tuple[str, ...] = ()


def _page_order(label: str, given: tuple[str, ...], order: str) -> _PageOrder:
    """A page's order, which is always ORDER_EXPRESSIONS[order], then id. Under other filters
    the matches are found through the filter's own index and sorted: reading a sort index in
    order and filtering as it goes could read every node for a rare value."""
    keys = list(dict.fromkeys([ORDER_EXPRESSIONS[order], "n.id"]))
    prop = _ORDER_PROPERTIES.get(order)
    if prop not in INDEX_ORDERED_PROPERTIES[label]:
        return _PageOrder(keys)
    if not given:
        return _PageOrder(keys, (f"n.{prop} IS NOT NULL",), (prop,))
    leading = next((name for name in NAME_ORDER_INDEXES.get(label, ()) if name in given), None)
    if prop == "name" and leading is not None:
        return _PageOrder([f"n.{leading}", *keys], ("n.name IS NOT NULL",), (leading, "name"))
    return _PageOrder(keys)


@cache
def page_query(
    label: str, given: tuple[str, ...], order: str, descending: bool, properties: tuple[str, ...] | None = None
) -> str:
    """The page and the number of matching nodes in one query, for this label, set of given
    filters and order, each node with `properties` (None: all public ones); all parts are ours."""
    direction = "DESC" if descending else "ASC"
    ordered = _page_order(label, given, order)
    page_where = where_clause(label, given, ordered.present)
    # Named, not left to the planner: on a section's page it would sometimes seek the section's
    # own index, whose rows come in no name order, and sort the whole section for a page of 20.
    hint = f"USING INDEX n:{label}({', '.join(ordered.index)})" if ordered.index else ""
    # Unfiltered, the total is the label's count, kept by Neo4j: no predicate. Filtered, the count
    # reads an index either way, and the presence predicate lets it read the composite one (a
    # filter property such as an artifact's section has no index of its own).
    count_where = page_where if given else ""
    ordering = ", ".join(f"{key} {direction}" for key in ordered.keys)
    return f"""
CALL () {{ MATCH (n:{label}) {count_where} RETURN count(n) AS total }}
CALL () {{
  MATCH (n:{label}) {hint} {page_where}
  WITH n ORDER BY {ordering}
  SKIP $skip LIMIT $limit
  RETURN collect({node_map("n", properties)}) AS nodes
}}
RETURN nodes, total
"""


def _given_filters(label: str, filters: dict[str, Any]) -> dict[str, Any]:
    """The filters that constrain anything, in a fixed order, with text lower-cased."""
    given = {}
    for name in _PREDICATES[label]:
        value = filters.get(name)
        if value is None or value == "":
            continue
        given[name] = value.lower() if name == "text" else value
    return given


async def page(
    tx: neo4j.AsyncManagedTransaction,
    label: str,
    filters: dict[str, Any],
    order: str,
    descending: bool,
    request: PageRequest,
    properties: tuple[str, ...] | None = None,
) -> tuple[list[dict], int]:
    """One page of `label` nodes, each with `properties` (None: all), and the total number
    matching the filters."""
    given = _given_filters(label, filters)
    names = tuple(given)
    query = page_query(label, names, order, descending, properties)
    row = (await fetch_maps(tx, query, skip=request.skip, limit=request.limit, **given))[0]
    return row["nodes"], row["total"]


# Search means "these words", never a query language. Each word goes to Lucene as a quoted
# phrase, inside which only the backslash and the double quote are special (both escaped):
# operator words (AND, OR, NOT), wildcards, ranges, fields and prefixes are then plain text.
# A word without a letter or digit would analyse to nothing, so it is left out.
MAX_SEARCH_WORDS = 64  # distinct words used; Lucene refuses queries of over 1,024 clauses


def lucene_terms(text: str) -> str:
    """The words of `text` as a Lucene query of quoted phrases; "" when it has none worth searching."""
    words = dict.fromkeys(word for word in text.split() if any(ch.isalnum() for ch in word))
    quoted = (word.replace("\\", "\\\\").replace('"', '\\"') for word in list(words)[:MAX_SEARCH_WORDS])
    return " ".join(f'"{word}"' for word in quoted)


# The index is updated just after each commit (migration 0007); waiting for it first means a
# search sees every write committed before it.
@cache
def search_query(properties: tuple[tuple[str, tuple[str, ...] | None], ...] = ()) -> str:
    """The search, each hit with the properties of `properties` (label -> names; None or a
    label left out: all public ones); all parts are ours."""
    if any(label not in LABELS for label, _ in properties):
        raise ValueError(f"unknown labels in {properties!r}")
    if properties:
        cases = " ".join(f"WHEN '{label}' THEN {node_map('node', names)}" for label, names in properties)
        node = f"CASE label {cases} ELSE {public_properties('node')} END"
    else:
        node = public_properties("node")
    return f"""
CALL db.index.fulltext.awaitEventuallyConsistentIndexRefresh()
CALL db.index.fulltext.queryNodes('entity_text', $terms) YIELD node, score
WITH node, score, labels(node)[0] AS label
WHERE ($labels IS NULL OR label IN $labels)
  AND ($artifact_kinds IS NULL OR label <> 'Artifact' OR node.kind IN $artifact_kinds)
RETURN label, {node} AS node, score
ORDER BY score DESC, node.id
LIMIT $limit
"""


async def search(
    tx: neo4j.AsyncManagedTransaction,
    text: str,
    labels: list[str] | None,
    artifact_kinds: list[str] | None,
    limit: int,
    properties: dict[str, tuple[str, ...] | None] | None = None,
) -> list[dict[str, Any]]:
    """The best `limit` hits, each node with the properties `properties` names for its label
    (None, or a label left out: all)."""
    terms = lucene_terms(text)
    if not terms:
        return []
    query = search_query(tuple(sorted((properties or {}).items())))
    return await fetch_maps(tx, query, terms=terms, labels=labels, artifact_kinds=artifact_kinds, limit=limit)
