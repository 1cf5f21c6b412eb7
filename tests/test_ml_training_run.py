"""`train` end to end on the demo graph: predictions land in Neo4j under one active
version per task and the API serves them without running the model."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from conftest import count, data, wipe

from maestro_graph.ingest.demo_seed import seed_demo
from maestro_graph.ml.text_embedding import HashingEmbedder
from maestro_graph.ml.training.train_command import train_and_publish
from maestro_graph.repositories import metric_series


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


TRAIN_LOG = _Kept()


@pytest.fixture(scope="module")
def trained(graph, client):
    wipe(graph)
    seed_demo(graph, "neo4j")
    # Recent git activity for one project, as import-git records it.
    now = datetime.now(UTC)
    graph.execute_query(
        metric_series.UPSERT,
        project_id="project:001",
        source="git",
        rows=[
            {
                "id": f"project:001|{name}|w{week}",
                "name": name,
                "value": value,
                "period": f"w{week}",
                "at": now - timedelta(weeks=week),
            }
            for week in (1, 2)
            for name, value in (("commits", 5), ("authors", 2), ("churn", 120))
        ],
    )
    logger = logging.getLogger("maestro_graph.train")
    logger.addHandler(TRAIN_LOG)
    logger.setLevel(logging.INFO)
    try:
        report = train_and_publish(graph, "neo4j", HashingEmbedder(384), seed=0)
    finally:
        logger.removeHandler(TRAIN_LOG)
    return report


def test_every_training_step_is_logged_with_its_duration(trained):
    done = {r.step: r.seconds for r in TRAIN_LOG.records if r.getMessage() == "training step done"}
    assert done == trained.timings
    embedded = [r for r in TRAIN_LOG.records if r.getMessage() == "embedding texts"]
    assert {r.label for r in embedded} == {"Project", "Artifact"}
    last = {r.label: r for r in embedded}  # each label's last line says it finished
    assert all(r.done == r.total > 0 for r in last.values())


def test_process_metrics_are_model_inputs_when_present(trained, graph):
    for task in trained.versions:
        active = graph.execute_query("MATCH (m:Model {task: $t, active: true}) RETURN m.params AS p", t=task)
        params = active.records[0]["p"]
        process = json.loads(params)["process_metrics"]
        assert process["projects_with_git"] == 1 and process["projects_with_dora"] == 0
        assert "commits_per_week" in process["features"]


def test_every_task_has_one_active_version(trained, graph):
    assert set(trained.versions) == {"artifacts", "team", "outcome", "impact"}
    for task, version in trained.versions.items():
        active = graph.execute_query("MATCH (m:Model {task: $t, active: true}) RETURN collect(m.version) AS v", t=task)
        assert active.records[0]["v"] == [version]
    assert count(graph, "MATCH (p:Project) RETURN count(p)") == count(
        graph, "MATCH (:Prediction {task: 'outcome'})-[:ABOUT]->(p:Project) RETURN count(DISTINCT p)"
    )


def test_recommendations_never_repeat_known_edges(trained, graph):
    assert count(graph, "MATCH (p:Project)-[:RECOMMENDED]->(a) WHERE (p)-[:USES]->(a) RETURN count(*)") == 0
    assert count(graph, "MATCH (p:Project)-[:SUGGESTED]->(h) WHERE (h)-[:MEMBER_OF]->(p) RETURN count(*)") == 0
    assert count(graph, "MATCH (p:Project)-[r:RECOMMENDED]->() RETURN count(r)") > 0


def test_api_answers_carry_the_trained_version(trained, client, graph):
    result = data(
        client,
        '{ recommendArtifacts(projectId: "project:001", k: 3) '
        "{ modelVersion coldStart because { id } } "
        'recommendTeam(projectId: "project:001", k: 3) { modelVersion } '
        'project(id: "project:001") { outcomePrediction { successProbability modelVersion } } '
        "artifactLeaderboard(first: 3) { impact { rank modelVersion } } }",
    )
    assert {r["modelVersion"] for r in result["recommendArtifacts"]} == {trained.versions["artifacts"]}
    assert not any(r["coldStart"] for r in result["recommendArtifacts"])
    used = {
        r["id"]
        for r in graph.execute_query("MATCH (:Project {id: 'project:001'})-[:USES]->(a) RETURN a.id AS id").records
    }
    because = {b["id"] for r in result["recommendArtifacts"] for b in r["because"]}
    assert because and because <= used  # explanations are artifacts the project already uses
    assert {r["modelVersion"] for r in result["recommendTeam"]} == {trained.versions["team"]}
    prediction = result["project"]["outcomePrediction"]
    assert 0 <= prediction["successProbability"] <= 1 and prediction["modelVersion"] == trained.versions["outcome"]
    assert [e["impact"]["rank"] for e in result["artifactLeaderboard"]] == [1, 2, 3]


def test_retraining_replaces_the_active_version_wholesale(trained, graph):
    again = train_and_publish(graph, "neo4j", HashingEmbedder(384), seed=1)
    versions = {
        r["v"] for r in graph.execute_query("MATCH ()-[r:RECOMMENDED]->() RETURN DISTINCT r.model_version AS v").records
    }
    assert versions == {again.versions["artifacts"]}
    assert count(graph, "MATCH (m:Model {task: 'artifacts'}) RETURN count(m)") == 2
