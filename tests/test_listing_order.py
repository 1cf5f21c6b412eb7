"""Pages read in an index's order (`listing.INDEX_ORDERED_PROPERTIES`, and under a section or
status filter the composite indexes of migration 0009, `listing.NAME_ORDER_INDEXES`): the same
pages, in the same order, as sorting every match, and Neo4j reads only the rows a page needs."""

from __future__ import annotations

import pytest
from conftest import data

from maestro_graph.repositories.listing import INDEX_ORDERED_PROPERTIES, NAME_ORDER_INDEXES, page_query

# Names repeat (ties are broken by id) and ids are not in name order.
SEED = """
UNWIND range(0, 59) AS i
CREATE (:Project {id: 'p' + toString((i * 37) % 60), name: 'name ' + toString(i % 7),
                  section: CASE WHEN i % 3 = 0 THEN 'small' ELSE 'big' END,
                  status: CASE WHEN i % 4 = 0 THEN 'archived' ELSE 'active' END})
WITH i WHERE i < 30
CREATE (:Artifact {id: 'a' + toString((i * 7) % 30), name: 'art ' + toString(i % 4), kind: 'library',
                   section: CASE WHEN i % 2 = 0 THEN 'big' ELSE 'small' END})
"""

PAGE = """
query($first: Int!, $after: String, $filter: ProjectFilter, $field: OrderField!, $direction: Direction!) {
  projects(first: $first, after: $after, filter: $filter, orderBy: {field: $field, direction: $direction}) {
    totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }
"""
ARTIFACT_PAGE = PAGE.replace("ProjectFilter", "ArtifactFilter").replace("projects(", "artifacts(")


@pytest.fixture(scope="module")
def seeded(graph, client):
    graph.execute_query(SEED)
    return client


def expected_ids(graph, label: str, where: str, field: str, descending: bool) -> list[str]:
    records = graph.execute_query(f"MATCH (n:{label}) WHERE {where} RETURN n.id AS id, n.name AS name").records
    key = (lambda r: (r["name"], r["id"])) if field == "NAME" else (lambda r: r["id"])
    return [r["id"] for r in sorted(records, key=key, reverse=descending)]


def walked_ids(
    client, document: str, filters: dict, field: str, direction: str, first: int = 7
) -> tuple[list[str], set[int]]:
    ids, totals, after = [], set(), None
    while True:
        variables = {"first": first, "after": after, "filter": filters, "field": field, "direction": direction}
        page = data(client, document, variables)
        connection = page["projects" if "projects(" in document else "artifacts"]
        totals.add(connection["totalCount"])
        ids += [edge["node"]["id"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            return ids, totals
        after = connection["pageInfo"]["endCursor"]


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize(
    ("document", "label", "filters", "field", "where"),
    [
        (PAGE, "Project", {}, "NAME", "true"),
        (PAGE, "Project", {}, "ID", "true"),
        (PAGE, "Project", {"section": "big"}, "NAME", "n.section = 'big'"),
        (PAGE, "Project", {"section": "big"}, "ID", "n.section = 'big'"),
        (PAGE, "Project", {"status": "ARCHIVED"}, "NAME", "n.status = 'archived'"),
        (PAGE, "Project", {"section": "big", "status": "ACTIVE"}, "NAME", "n.section = 'big' AND n.status = 'active'"),
        (PAGE, "Project", {"section": "small", "text": "NAME 3"}, "NAME", "n.section = 'small' AND n.name = 'name 3'"),
        (ARTIFACT_PAGE, "Artifact", {}, "NAME", "true"),
        (ARTIFACT_PAGE, "Artifact", {"section": "big"}, "NAME", "n.section = 'big'"),
    ],
)
def test_index_ordered_pages_are_the_pages_of_a_full_sort(
    seeded, graph, document, label, filters, field, where, direction
):
    expected = expected_ids(graph, label, where, field, direction == "DESC")
    ids, totals = walked_ids(seeded, document, filters, field, direction)
    assert ids == expected
    assert totals == {len(expected)}


def _operators(plan) -> list[tuple[str, int]]:
    """(operator, rows) of the plan and everything under it, depth first."""
    found = [(plan["operatorType"].split("@")[0], plan.get("rows", 0))]
    for child in plan.get("children", []):
        found += _operators(child)
    return found


def _subplan(plan, operator: str):
    if plan["operatorType"].split("@")[0] == operator:
        return plan
    return next((found for child in plan.get("children", []) if (found := _subplan(child, operator))), None)


def _index_reads(plan) -> list[str]:
    """The details of every index read in the plan (which index, on which properties)."""
    found = [plan.get("args", {}).get("Details", "")] if plan["operatorType"].startswith("NodeIndex") else []
    for child in plan.get("children", []):
        found += _index_reads(child)
    return found


@pytest.mark.parametrize(
    ("label", "given", "params", "order", "index"),
    [
        ("Project", ("section",), {"section": "big"}, "NAME", "(section, name)"),
        ("Project", ("status",), {"status": "archived"}, "NAME", "(status, name)"),
        ("Artifact", ("section",), {"section": "big"}, "NAME", "(section, name)"),
        ("Project", (), {}, "NAME", "(name)"),
        ("Project", (), {}, "ID", "(id)"),
    ],
)
def test_a_page_reads_only_the_rows_it_needs(seeded, graph, label, given, params, order, index):
    """A page of 5 is taken from rows arriving in an index's order: no sort of every match, and
    what reaches the page's limit is the page's rows and their ties (names repeat up to 9 times
    here; ids never): the query names the index that gives that order, since with the section's
    own index to choose from Neo4j sometimes sorted the whole section. The total counts every
    match from an index or Neo4j's own count, never by reading every node of the label (an
    artifact's section has no index of its own)."""
    query = page_query(label, given, order, True, ("id", "name"))
    plan = graph.execute_query("PROFILE " + query, params, skip=0, limit=5).summary.profile
    operators = _operators(plan)
    names = [name for name, _ in operators]
    assert "Top" not in names and "Sort" not in names and "NodeByLabelScan" not in names, str(operators)
    skip = _subplan(plan, "Skip")  # the page's branch: Skip over PartialTop (ties) or Limit
    assert skip is not None, str(operators)
    (limit,) = skip["children"]
    assert limit["operatorType"].split("@")[0] in {"PartialTop", "Limit"}, str(operators)
    (arriving,) = limit["children"]
    assert arriving["rows"] <= 5 + 9, str(operators)
    assert any(index in details for details in _index_reads(limit)), _index_reads(plan)


def test_every_index_order_has_its_index(graph):
    indexes = {
        (r["labelsOrTypes"][0], tuple(r["properties"]))
        for r in graph.execute_query("SHOW RANGE INDEXES YIELD labelsOrTypes, properties").records
    }
    for label, properties in INDEX_ORDERED_PROPERTIES.items():
        for name in properties:
            assert (label, (name,)) in indexes
    for label, filters in NAME_ORDER_INDEXES.items():
        for name in filters:
            assert (label, (name, "name")) in indexes
