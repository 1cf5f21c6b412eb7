"""Pages filtered by section or status and ordered by name are read in a composite index's order
(migration 0009, `listing.NAME_ORDER_INDEXES`): the same pages, in the same order, as sorting
every match, and Neo4j reads only the rows a page needs."""

from __future__ import annotations

import pytest
from conftest import data

from maestro_graph.repositories.listing import NAME_ORDER_INDEXES, page_query

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
query($first: Int!, $after: String, $filter: ProjectFilter, $direction: Direction!) {
  projects(first: $first, after: $after, filter: $filter, orderBy: {field: NAME, direction: $direction}) {
    totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } }
"""
ARTIFACT_PAGE = PAGE.replace("ProjectFilter", "ArtifactFilter").replace("projects(", "artifacts(")


@pytest.fixture(scope="module")
def seeded(graph, client):
    graph.execute_query(SEED)
    return client


def expected_ids(graph, label: str, where: str, params: dict, descending: bool) -> list[str]:
    records = graph.execute_query(f"MATCH (n:{label}) WHERE {where} RETURN n.id AS id, n.name AS name", params).records
    return [r["id"] for r in sorted(records, key=lambda r: (r["name"], r["id"]), reverse=descending)]


def walked_ids(client, document: str, filters: dict, direction: str, first: int = 7) -> tuple[list[str], set[int]]:
    ids, totals, after = [], set(), None
    while True:
        page = data(client, document, {"first": first, "after": after, "filter": filters, "direction": direction})
        connection = page["projects" if "projects(" in document else "artifacts"]
        totals.add(connection["totalCount"])
        ids += [edge["node"]["id"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            return ids, totals
        after = connection["pageInfo"]["endCursor"]


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize(
    ("document", "label", "filters", "where"),
    [
        (PAGE, "Project", {"section": "big"}, "n.section = 'big'"),
        (PAGE, "Project", {"status": "ARCHIVED"}, "n.status = 'archived'"),
        (PAGE, "Project", {"section": "big", "status": "ACTIVE"}, "n.section = 'big' AND n.status = 'active'"),
        (PAGE, "Project", {"section": "small", "text": "NAME 3"}, "n.section = 'small' AND n.name = 'name 3'"),
        (ARTIFACT_PAGE, "Artifact", {"section": "big"}, "n.section = 'big'"),
    ],
)
def test_index_ordered_pages_are_the_pages_of_a_full_sort(seeded, graph, document, label, filters, where, direction):
    expected = expected_ids(graph, label, where, {}, direction == "DESC")
    ids, totals = walked_ids(seeded, document, filters, direction)
    assert ids == expected
    assert totals == {len(expected)}


def _operators(plan) -> list[tuple[str, int]]:
    found = [(plan["operatorType"].split("@")[0], plan.get("rows", 0))]
    for child in plan.get("children", []):
        found += _operators(child)
    return found


def test_a_page_reads_only_the_rows_it_needs(seeded, graph):
    """The 40 projects of 'big' are counted, but the page of 5 is read in the index's order:
    no sort of every match, and the seek that feeds the page stops after the page's rows and
    their ties (names repeat up to 6 times here)."""
    query = page_query("Project", ("section",), "NAME", True, ("id", "name"))
    plan = graph.execute_query("PROFILE " + query, section="big", skip=0, limit=5).summary.profile
    operators = _operators(plan)
    names = [name for name, _ in operators]
    assert "PartialTop" in names and "Top" not in names and "Sort" not in names
    seeks = [rows for name, rows in operators if name == "NodeIndexSeek"]
    assert len(seeks) == 2 and max(seeks) == 40  # the count reads every match
    assert min(seeks) <= 5 + 6  # the page: its rows and their ties


def test_every_name_ordered_filter_has_its_composite_index(graph):
    indexes = {
        (r["labelsOrTypes"][0], tuple(r["properties"]))
        for r in graph.execute_query("SHOW RANGE INDEXES YIELD labelsOrTypes, properties").records
    }
    for label, filters in NAME_ORDER_INDEXES.items():
        for name in filters:
            assert (label, (name, "name")) in indexes
