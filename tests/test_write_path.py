"""The write path under concurrency: commits of projects and artifacts do not wait on a
synchronous full-text refresh, search still sees every write committed before it, and
concurrent writes through the API each land once with their audit event.

The throughput itself is measured by `bench/load.py --writes-only` (bench/RESULTS.md); a test
on a shared 2-core machine asserts the behaviour that makes it possible, not a figure.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path

from conftest import TEST_DATA_DIR, count, data, gql, live_server

from maestro_graph.config import Settings

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "load.py")
assert _spec is not None and _spec.loader is not None
load = importlib.util.module_from_spec(_spec)
sys.modules["bench_load"] = load  # dataclasses look their module up while it loads
_spec.loader.exec_module(load)

SEARCH = "query($t: String!) { search(text: $t, first: 10) { node { id } } }"
UPSERT_PROJECT = "mutation($input: ProjectInput!) { upsertProject(input: $input) { id } }"
UPSERT_ARTIFACT = "mutation($input: ArtifactInput!) { upsertArtifact(input: $input) { id } }"


def _found(client, text: str) -> list[str]:
    return [hit["node"]["id"] for hit in data(client, SEARCH, {"t": text})["search"]]


def test_full_text_index_is_brought_up_to_date_after_commit_not_inside_it(graph):
    # Inside the commit, its Lucene refresh (beside the vector index's on the same nodes)
    # serialised every write of a project or an artifact.
    records, _, _ = graph.execute_query("SHOW INDEXES YIELD name, options WHERE name = 'entity_text' RETURN options")
    assert records, "the search index is missing"
    assert records[0]["options"]["indexConfig"]["fulltext.eventually_consistent"] is True


def test_search_sees_every_write_committed_before_it(client):
    # Each search follows its write at once, the tightest race with the index's background update.
    for i in range(25):
        word = f"quokka{i}x"
        data(client, UPSERT_PROJECT, {"input": {"id": f"wp-p{i}", "name": f"{word} project"}})
        assert _found(client, word) == [f"wp-p{i}"]
        data(client, UPSERT_ARTIFACT, {"input": {"id": f"wp-a{i}", "name": f"{word} model", "kind": "MODEL"}})
        assert sorted(_found(client, word)) == [f"wp-a{i}", f"wp-p{i}"]


def test_search_forgets_a_renamed_or_deleted_node_at_once(client):
    data(client, UPSERT_PROJECT, {"input": {"id": "wp-rename", "name": "wombat tracker"}})
    assert _found(client, "wombat") == ["wp-rename"]
    data(client, UPSERT_PROJECT, {"input": {"id": "wp-rename", "name": "numbat tracker"}})
    assert _found(client, "wombat") == []
    assert _found(client, "numbat") == ["wp-rename"]
    data(client, 'mutation { deleteProject(id: "wp-rename") { id } }')
    assert _found(client, "numbat") == []


def test_concurrent_writes_each_land_once_with_their_audit_event(graph, neo4j_target):
    settings = Settings(profile="dev", data_dir=TEST_DATA_DIR)
    acknowledged: list[str] = []
    with live_server(settings, neo4j_target) as base_url:

        async def both_phases() -> list:
            url = f"{base_url}/graphql"
            return [
                await load.write_phase(url, "wp", "one-by-one", 10, 1, {}, acknowledged),
                await load.write_phase(url, "wp", "at-once", 60, 10, {}, acknowledged),
            ]

        phases = asyncio.run(both_phases())
    assert [dict(phase.failures) for phase in phases] == [{}, {}]
    expected = [f"wp-one-by-one-{i}" for i in range(10)] + [f"wp-at-once-{i}" for i in range(60)]
    assert sorted(acknowledged) == sorted(expected)
    stored = count(graph, "MATCH (p:Project) WHERE p.id STARTS WITH 'wp-' AND p.section = 'load' RETURN count(p)")
    assert stored == 70
    events = graph.execute_query(
        "MATCH (e:AuditEvent {action: 'upsertProject'}) WHERE e.targets[0] STARTS WITH 'wp-' AND size(e.targets) = 1 "
        "RETURN e.targets[0] AS id, count(e) AS events"
    ).records
    assert {r["id"]: r["events"] for r in events if r["id"] in acknowledged} == dict.fromkeys(acknowledged, 1)


PROJECT_FIELDS = "id name description status section tags createdAt"
ARTIFACT_FIELDS = "id name kind version uri description section"
USAGE_FIELDS = "count kinds context firstUsed lastUsed"


def _round_trips_and_data(client, query: str, variables: dict | None = None) -> tuple[int, dict]:
    body = gql(client, query, variables)
    assert "errors" not in body, body
    return body["extensions"]["cypher"]["roundTrips"], body["data"]


def test_a_single_item_write_is_one_query_and_its_audit_event_answering_as_a_later_read(client):
    # The write answers with what it wrote (no read-back query): the answer equals what a
    # read afterwards sees, field for field.
    trips, written = _round_trips_and_data(
        client,
        f"mutation($i: ProjectInput!) {{ upsertProject(input: $i) {{ {PROJECT_FIELDS} }} }}",
        {"i": {"id": "rt-p", "name": "round trip", "description": "d", "section": "s", "tags": ["a", "b"]}},
    )
    assert trips == 2
    assert written["upsertProject"] == data(client, f'{{ project(id: "rt-p") {{ {PROJECT_FIELDS} }} }}')["project"]
    trips, written = _round_trips_and_data(
        client,
        f"mutation($i: ArtifactInput!) {{ upsertArtifact(input: $i) {{ {ARTIFACT_FIELDS} }} }}",
        {"i": {"id": "rt-a", "name": "model", "kind": "MODEL", "version": "1", "uri": "s3://m"}},
    )
    assert trips == 2
    assert written["upsertArtifact"] == data(client, f'{{ artifact(id: "rt-a") {{ {ARTIFACT_FIELDS} }} }}')["artifact"]
    usage = {"projectId": "rt-p", "artifactId": "rt-a", "count": 3, "kind": "train", "context": "c"}
    for kind in ("train", "serve"):  # created, then matched: both answers as stored
        trips, written = _round_trips_and_data(
            client,
            f"""mutation($i: UsageInput!) {{ recordUsage(input: $i) {{
                project {{ {PROJECT_FIELDS} }} artifact {{ {ARTIFACT_FIELDS} }} usage {{ {USAGE_FIELDS} }} }} }}""",
            {"i": {**usage, "kind": kind, "usedAt": "2024-05-01T10:00:00+00:00"}},
        )
        assert trips == 2
        stored = data(
            client,
            f"""{{ project(id: "rt-p") {{ {PROJECT_FIELDS}
                uses(first: 5) {{ edges {{ node {{ {ARTIFACT_FIELDS} }} usage {{ {USAGE_FIELDS} }} }} }} }} }}""",
        )["project"]
        edge = stored.pop("uses")["edges"][0]
        assert written["recordUsage"] == {"project": stored, "artifact": edge["node"], "usage": edge["usage"]}
    assert written["recordUsage"]["usage"]["kinds"] == ["train", "serve"]


def test_a_link_to_a_missing_node_still_names_it_and_writes_nothing(client, graph):
    body = gql(
        client,
        "mutation($i: UsageInput!) { recordUsage(input: $i) { usage { count } } }",
        {"i": {"projectId": "rt-p", "artifactId": "rt-missing"}},
    )
    assert body["data"] == {"recordUsage": None}
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND" and "rt-missing" in body["errors"][0]["message"]
    assert count(graph, "MATCH (e:AuditEvent) WHERE 'rt-missing' IN e.targets RETURN count(e)") == 0
