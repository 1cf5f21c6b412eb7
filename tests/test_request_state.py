"""A request keeps one cache of graph reads, and a write empties all of it: a field read
after a mutation in the same request answers from the graph as the mutation left it."""

from __future__ import annotations

from conftest import data

_ADD_COMMITS = """
MATCH (p:Project {id: $id})
MERGE (m:Metric {id: $id + '|commits|2025-W07'})
SET m.name = 'commits', m.value = 5, m.at = datetime('2025-02-10T00:00:00Z'), m.period = '2025-W07',
    m.source = 'git'
MERGE (p)-[:HAS_METRIC]->(m)
"""

_RECREATE = """
mutation {
  before: upsertProject(input: {id: "stale-metrics", name: "Stale"}) { metrics { commits } }
  gone: deleteProject(id: "stale-metrics") { id }
  after: upsertProject(input: {id: "stale-metrics", name: "Stale"}) { metrics { commits } }
}
"""


def test_process_metrics_read_after_a_write_in_the_same_request_are_not_stale(client, graph):
    data(client, 'mutation { upsertProject(input: {id: "stale-metrics", name: "Stale"}) { id } }')
    graph.execute_query(_ADD_COMMITS, {"id": "stale-metrics"})

    answer = data(client, _RECREATE)

    assert answer["before"]["metrics"] == {"commits": 5}
    assert answer["gone"] == {"id": "stale-metrics"}
    # Deleting the project removed its HAS_METRIC edges: the new project has no metrics yet.
    assert answer["after"]["metrics"] is None
