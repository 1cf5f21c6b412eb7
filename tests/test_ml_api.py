"""The models' answers through GraphQL: stored predictions of the active version only,
known edges never recommended, cold starts from real text embeddings, semantic search."""

from __future__ import annotations

import pytest
from conftest import data, error_of, wipe

from maestro_graph.ingest.demo_seed import seed_demo
from maestro_graph.ml.serving.publish import TaskResult, publish
from maestro_graph.ml.text_embedding import query_embedder
from maestro_graph.ml.training.node_embeddings import embed_nodes


@pytest.fixture(scope="module")
def demo(graph, client):
    wipe(graph)
    seed_demo(graph, "neo4j")
    embed_nodes(graph, "neo4j", query_embedder())
    return client


def publish_artifacts(graph, project: str, items: list[str], because: list[str]) -> str:
    rows = [
        {"project": project, "item": item, "rank": rank, "score": 1.0 / rank, "because": because}
        for rank, item in enumerate(items, start=1)
    ]
    return publish(graph, "neo4j", TaskResult("artifacts", rows, metrics={"recall@10": 0.5}, params={"k": 20}))


def test_recommendations_come_from_the_active_version_and_skip_used_artifacts(demo, graph):
    used = {
        r["id"]
        for r in graph.execute_query("MATCH (:Project {id: 'project:001'})-[:USES]->(a) RETURN a.id AS id").records
    }
    unused = [
        r["id"]
        for r in graph.execute_query(
            "MATCH (a:Artifact) WHERE NOT a.id IN $used RETURN a.id AS id ORDER BY id", used=list(used)
        ).records
    ]
    first = publish_artifacts(graph, "project:001", [sorted(used)[0], *unused[:3]], [sorted(used)[0]])
    answer = data(
        demo,
        '{ recommendArtifacts(projectId: "project:001", k: 10) '
        "{ artifact { id } score modelVersion coldStart because { id } } }",
    )["recommendArtifacts"]
    assert [a["artifact"]["id"] for a in answer] == unused[:3]  # the used one is never recommended
    assert {a["modelVersion"] for a in answer} == {first} and not any(a["coldStart"] for a in answer)
    assert answer[0]["because"] == [{"id": sorted(used)[0]}]

    second = publish_artifacts(graph, "project:001", unused[3:5], [])
    answer = data(demo, '{ recommendArtifacts(projectId: "project:001") { artifact { id } modelVersion } }')
    assert [a["artifact"]["id"] for a in answer["recommendArtifacts"]] == unused[3:5]
    assert {a["modelVersion"] for a in answer["recommendArtifacts"]} == {second}
    versions = data(demo, "{ models(task: ARTIFACTS) { version active metrics } }")["models"]
    assert [(m["version"], m["active"]) for m in versions] == [(second, True), (first, False)]
    assert versions[0]["metrics"] == {"recall@10": 0.5}
    # The old version's predictions are gone from the graph, its Model node stays as history.
    stale = graph.execute_query("MATCH ()-[r:RECOMMENDED {model_version: $v}]->() RETURN count(r) AS n", v=first)
    assert stale.records[0]["n"] == 0


def test_cold_start_uses_similar_projects_and_says_so(demo):
    data(
        demo,
        'mutation { upsertProject(input: {id: "new", name: "Ticket router", '
        'description: "Route customer support tickets to the right queue with a language model"}) { id } }',
    )
    answer = data(
        demo,
        '{ recommendArtifacts(projectId: "new", k: 5) { artifact { id } coldStart modelVersion '
        "because { __typename id } } }",
    )["recommendArtifacts"]
    assert answer and all(a["coldStart"] and a["modelVersion"] is None for a in answer)
    assert all(b["__typename"] == "Project" for a in answer for b in a["because"])
    # Language projects of the demo use the language team's artifacts: they must surface.
    ids = {a["artifact"]["id"] for a in answer}
    assert ids & {"data:support-tickets", "model:bert-intents", "lib:transformers", "prompt:triage", "model:bert-base"}
    team = data(demo, '{ recommendTeam(projectId: "new", k: 3) { person { id } coldStart } }')["recommendTeam"]
    assert len(team) == 3 and all(t["coldStart"] for t in team)


def test_unknown_project_and_bad_k(demo):
    assert error_of(demo, '{ recommendArtifacts(projectId: "ghost") { score } }')["extensions"]["code"] == "NOT_FOUND"
    assert error_of(demo, '{ recommendTeam(projectId: "project:001", k: 0) { score } }')["extensions"]["field"] == "k"


def test_outcome_and_impact_predictions_carry_their_version(demo, graph):
    outcome = publish(graph, "neo4j", TaskResult("outcome", [{"item": "project:001", "score": 0.8}]))
    impact = publish(
        graph,
        "neo4j",
        TaskResult(
            "impact",
            [
                {"item": "lib:pytorch", "score": 0.05, "rank": 1},
                {"item": "data:clickstream", "score": -0.02, "rank": 2},
            ],
        ),
    )
    result = data(
        demo,
        '{ project(id: "project:001") { outcomePrediction { successProbability modelVersion } } '
        'other: project(id: "project:002") { outcomePrediction { successProbability } } '
        'artifact(id: "lib:pytorch") { impact { score rank modelVersion } } '
        "artifactLeaderboard(first: 5) { artifact { id } impact { rank } } "
        "datasets: artifactLeaderboard(kind: DATASET) { artifact { id } } }",
    )
    assert result["project"]["outcomePrediction"] == {"successProbability": 0.8, "modelVersion": outcome}
    assert result["other"]["outcomePrediction"] is None
    assert result["artifact"]["impact"] == {"score": 0.05, "rank": 1, "modelVersion": impact}
    assert [e["artifact"]["id"] for e in result["artifactLeaderboard"]] == ["lib:pytorch", "data:clickstream"]
    assert [e["artifact"]["id"] for e in result["datasets"]] == ["data:clickstream"]


def test_semantic_search_finds_meaning_not_words(demo):
    hits = data(
        demo,
        '{ semanticSearch(text: "photos of broken parts from the factory", kinds: [ARTIFACT], first: 3) '
        "{ node { id } score } }",
    )["semanticSearch"]
    assert "data:defect-images" in {h["node"]["id"] for h in hits}
    hybrid = data(demo, '{ semanticSearch(text: "support tickets", mode: HYBRID, first: 5) { node { id } } }')
    assert "data:support-tickets" in {h["node"]["id"] for h in hybrid["semanticSearch"]}


def test_similar_projects(demo):
    result = data(
        demo, '{ project(id: "project:002") { name similarProjects(first: 3) { project { id section } score } } }'
    )
    similar = result["project"]["similarProjects"]
    assert len(similar) == 3 and all(-1 <= s["score"] <= 1 for s in similar)
    assert "project:002" not in {s["project"]["id"] for s in similar}
    assert [s["score"] for s in similar] == sorted((s["score"] for s in similar), reverse=True)


def test_compose_team_covers_and_excludes_members(demo, graph):
    members = {
        r["id"]
        for r in graph.execute_query(
            "MATCH (h:Person)-[:MEMBER_OF]->(:Project {id: 'project:003'}) RETURN h.id AS id"
        ).records
    }
    rows = [{"project": "project:003", "item": f"person:{i:03d}", "rank": i, "score": 1.0 / i} for i in range(1, 25)]
    publish(graph, "neo4j", TaskResult("team", rows))
    team = data(
        demo,
        '{ composeTeam(projectId: "project:003", size: 3) { members { person { id } } coverage '
        "neededArtifactIds coveredArtifactIds objective } }",
    )["composeTeam"]
    chosen = [m["person"]["id"] for m in team["members"]]
    assert len(chosen) == 3 and not set(chosen) & members
    assert 0 <= team["coverage"] <= 1 and set(team["coveredArtifactIds"]) <= set(team["neededArtifactIds"])


def test_a_version_whose_rows_fail_midway_leaves_nothing_and_the_active_one_serves(demo, graph):
    artifacts = [r["id"] for r in graph.execute_query("MATCH (a:Artifact) RETURN a.id AS id ORDER BY id").records]
    active = publish_artifacts(graph, "project:001", artifacts[-2:], [])

    def rows_then_failure():
        for rank, item in enumerate(artifacts[:4], start=1):
            yield {"project": "project:001", "item": item, "rank": rank, "score": 1.0, "because": []}
        raise RuntimeError("scoring failed")

    broken = TaskResult("artifacts", rows_then_failure(), version="artifacts-broken")
    with pytest.raises(RuntimeError, match="scoring failed"):
        publish(graph, "neo4j", broken, batch_size=2)  # two batches are written before the failure
    left = graph.execute_query(
        "OPTIONAL MATCH (m:Model {version: 'artifacts-broken'}) "
        "OPTIONAL MATCH ()-[r:RECOMMENDED {model_version: 'artifacts-broken'}]->() "
        "RETURN count(DISTINCT m) AS models, count(r) AS rows"
    ).records[0]
    assert (left["models"], left["rows"]) == (0, 0)
    answer = data(demo, '{ recommendArtifacts(projectId: "project:001") { artifact { id } modelVersion } }')
    assert {a["modelVersion"] for a in answer["recommendArtifacts"]} == {active}
