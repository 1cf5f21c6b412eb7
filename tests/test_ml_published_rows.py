"""The rows `train` publishes for the link tasks: artifacts (`artifact_rows`) ranked from the
model's catalogue, never one the project uses, each with its `because` (the project's used
artifacts most co-used with the recommendation), checked against a plain reference; people
(`team_rows`) from the model's people, never a member already, never a team."""

from __future__ import annotations

import numpy as np
import pytest

from maestro_graph.ml.evaluation.baselines import item_cosine, usage_matrix
from maestro_graph.ml.evaluation.synthetic import planted_graph
from maestro_graph.ml.text_embedding import HashingEmbedder
from maestro_graph.ml.training.features import text_vectors
from maestro_graph.ml.training.link_blends import ClassicLinkModel
from maestro_graph.ml.training.train_command import BECAUSE, artifact_rows, team_rows


@pytest.fixture(scope="module")
def published():
    graph, _ = planted_graph(seed=1, n_projects=250, n_artifacts=100, n_people=40)
    project_text, artifact_text = text_vectors(graph, HashingEmbedder(16), cache_dir="")
    model = ClassicLinkModel(seed=0, validation_queries=50, catalogue_size=60, people_size=30)
    model.fit(graph, project_text, artifact_text)
    rows = [row for block in artifact_rows(graph, model, k=8) for row in block]
    return graph, model, rows


def _reference_because(graph, cosine: np.ndarray, project: int, item: int) -> list[int]:
    """The project's used artifacts with a positive cosine to `item`, strongest first, ties by index."""
    used = sorted(set(graph.uses[graph.uses[:, 0] == project, 1].tolist()))
    strengths = [(-cosine[item, a], a) for a in used if cosine[item, a] > 0]
    return [a for _, a in sorted(strengths)[:BECAUSE]]


def test_recommendations_come_from_the_catalogue_and_never_repeat_a_use(published):
    graph, model, rows = published
    project_of = {pid: i for i, pid in enumerate(graph.project_ids)}
    artifact_of = {aid: i for i, aid in enumerate(graph.artifact_ids)}
    used = set(map(tuple, graph.uses.tolist()))
    catalogue = set(model.catalogue.tolist())
    assert len(catalogue) == 60 < graph.num_artifacts and rows
    for row in rows:
        item = artifact_of[row["item"]]
        assert item in catalogue and (project_of[row["project"]], item) not in used


def test_ranks_follow_the_model_scores(published):
    graph, model, rows = published
    project_of = {pid: i for i, pid in enumerate(graph.project_ids)}
    column_of = {graph.artifact_ids[a]: c for c, a in enumerate(model.catalogue)}
    by_project: dict[str, list[dict]] = {}
    for row in rows:
        by_project.setdefault(row["project"], []).append(row)
    for project, ranked in list(by_project.items())[:40]:
        scores = model.catalogue_scores(np.array([project_of[project]]))[0]
        assert [r["rank"] for r in ranked] == list(range(1, len(ranked) + 1))
        assert all(np.isclose(r["score"], scores[column_of[r["item"]]]) for r in ranked)
        assert [r["score"] for r in ranked] == sorted((r["score"] for r in ranked), reverse=True)


def test_each_because_is_the_projects_most_co_used_artifacts(published):
    graph, _, rows = published
    project_of = {pid: i for i, pid in enumerate(graph.project_ids)}
    artifact_of = {aid: i for i, aid in enumerate(graph.artifact_ids)}
    assert sum(1 for row in rows[:300] if row["because"]) > 50
    cosine = item_cosine(usage_matrix(graph)).toarray()
    for row in rows[:300]:
        expected = _reference_because(graph, cosine, project_of[row["project"]], artifact_of[row["item"]])
        assert [artifact_of[a] for a in row["because"]] == expected


def test_suggested_people_come_from_the_catalogue_and_are_never_members_or_teams(published):
    graph, model, _ = published
    rows = [row for block in team_rows(graph, model, k=5) for row in block]
    project_of = {pid: i for i, pid in enumerate(graph.project_ids)}
    person_of = {hid: i for i, hid in enumerate(graph.person_ids)}
    members = set(map(tuple, graph.members[:, ::-1].tolist()))
    people = set(model.people.tolist())
    assert len(people) == 30 < graph.num_people and rows
    for row in rows:
        person = person_of[row["item"]]
        assert person in people and not graph.person_is_team[person]
        assert (project_of[row["project"]], person) not in members
