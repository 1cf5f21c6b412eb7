"""The served link rankers (`ClassicLinkModel`): the blends of classic signals that `evaluate`
prints as `blend_without_gnn`, fit the same way, and the `validation` block `train` prints."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from maestro_graph.ml.evaluation import protocol
from maestro_graph.ml.evaluation.synthetic import planted_graph
from maestro_graph.ml.text_embedding import HashingEmbedder
from maestro_graph.ml.training.features import text_vectors
from maestro_graph.ml.training.link_blends import ClassicLinkModel
from maestro_graph.ml.training.maestro_model import MaestroModel, ModelConfig
from maestro_graph.ml.training.signals import (
    artifact_catalogue,
    artifact_signals,
    person_catalogue,
    team_signals,
)
from maestro_graph.ml.training.training_loop import TrainConfig
from maestro_graph.ml.usage_graph import known_matrix

QUERIES = 60


@pytest.fixture(scope="module")
def planted():
    graph, _ = planted_graph(seed=0, n_projects=300, n_artifacts=120, n_people=50)
    project_text, artifact_text = text_vectors(graph, HashingEmbedder(16), cache_dir="")
    return graph, project_text, artifact_text


@pytest.fixture(scope="module")
def classic(planted):
    return ClassicLinkModel(seed=0, validation_queries=QUERIES).fit(*planted)


def test_served_blends_are_the_evaluated_blends_without_the_network(planted, classic):
    train = TrainConfig(hidden=8, max_epochs=20, eval_every=10, patience=1, lr=0.03, val_queries=QUERIES)
    # One OpenMP thread for the success head's trees: on a busy machine their spinning threads
    # make this small fit take minutes.
    with threadpool_limits(limits=1, user_api="openmp"):
        evaluated = MaestroModel(ModelConfig(seed=0, train=train, ablate_network=True)).fit(*planted)
    for task in ("artifacts", "team"):
        served = classic.blend_weights()[task]
        assert "gnn" not in served and "gnn" in evaluated.blends[task].as_dict()
        assert served == evaluated.blends[f"{task}_without_gnn"].as_dict()
    rows = np.arange(40)
    assert np.array_equal(classic.artifact_scores(rows), evaluated.classic_artifact_scores(rows))
    assert np.array_equal(classic.person_scores(rows), evaluated.classic_person_scores(rows))


def test_validation_block_reports_the_blends_on_their_queries(classic):
    block = classic.validation_figures()
    assert block["artifact_queries"] == QUERIES and block["team_queries"] == QUERIES
    assert {"recall@10", "ndcg@10", "hit@10", "mrr"} <= set(block)
    # The planted graph has co-use to find: the blends rank far above chance (10 of 120 items).
    assert block["recall@10"] > 0.3 and block["hit@10"] > 0.3
    block["recall@10"] = -1.0
    assert classic.validation_figures()["recall@10"] > 0.3  # a copy: the model's figures stay


def test_rankings_beat_popularity_and_never_repeat_known_links(planted, classic):
    graph = planted[0]
    split = protocol.artifact_split(graph, seed=3, n_queries=QUERIES)
    model = ClassicLinkModel(seed=0, validation_queries=QUERIES).fit(split.train, *planted[1:])
    popularity = np.bincount(split.train.uses[:, 1], minlength=graph.num_artifacts).astype(np.float64)
    served = protocol.measure_artifacts(split, model.artifact_scores)
    popular = protocol.measure_artifacts(split, lambda rows: np.tile(popularity, (len(rows), 1)))
    assert served["recall@10"] > popular["recall@10"]
    known = known_matrix(split.train.uses, graph.num_projects, graph.num_artifacts)
    ranked = protocol.rank_artifacts(split.train, model.artifact_scores, split.projects[:20])
    for project, items in zip(split.projects[:20], ranked, strict=True):
        assert not set(items.tolist()) & set(known[project].indices.tolist())


def test_a_model_answers_only_after_fit():
    model = ClassicLinkModel()
    for ask in (model.artifact_scores, model.person_scores):
        with pytest.raises(RuntimeError, match="fit"):
            ask(np.arange(3))
    with pytest.raises(RuntimeError, match="fit"):
        model.validation_figures()


def test_every_artifact_signal_scores_a_catalogue_as_it_scores_those_artifacts_among_all(planted):
    graph, project_text, artifact_text = planted
    everything = np.arange(graph.num_artifacts)
    catalogue = artifact_catalogue(graph, 40)
    assert len(catalogue) == 40
    counts = np.bincount(graph.uses[:, 1], minlength=graph.num_artifacts)
    assert counts[catalogue].min() >= np.delete(counts, catalogue).max()  # the most used
    full = artifact_signals(graph, project_text, artifact_text, everything)
    sub = artifact_signals(graph, project_text, artifact_text, catalogue)
    rows = np.arange(0, graph.num_projects, 7)
    for name, signal in sub.items():
        expected = np.broadcast_to(full[name](rows), (len(rows), graph.num_artifacts))[:, catalogue]
        assert np.allclose(np.broadcast_to(signal(rows), expected.shape), expected), name


def test_every_team_signal_scores_a_catalogue_as_it_scores_those_people_among_all(planted):
    graph, project_text, _ = planted
    people = person_catalogue(graph, 20)
    projects = np.bincount(graph.members[:, 0], minlength=graph.num_people)
    assert len(people) == 20 and not graph.person_is_team[people].any()
    others = np.setdiff1d(np.flatnonzero(~graph.person_is_team), people)
    assert projects[people].min() >= projects[others].max()  # the persons in the most projects
    full = team_signals(graph, project_text, np.arange(graph.num_people))
    sub = team_signals(graph, project_text, people)
    rows = np.arange(0, graph.num_projects, 7)
    for name, signal in sub.items():
        expected = np.broadcast_to(full[name](rows), (len(rows), graph.num_people))[:, people]
        assert np.allclose(np.broadcast_to(signal(rows), expected.shape), expected), name


def test_the_rankers_rank_only_their_catalogues(planted):
    graph = planted[0]
    model = ClassicLinkModel(seed=0, validation_queries=QUERIES, catalogue_size=30, people_size=25).fit(*planted)
    assert np.array_equal(model.catalogue, artifact_catalogue(graph, 30))
    assert np.array_equal(model.people, person_catalogue(graph, 25))
    rows = np.arange(50)
    for inside, widened, catalogue, total in (
        (model.catalogue_scores(rows), model.artifact_scores(rows), model.catalogue, graph.num_artifacts),
        (model.people_catalogue_scores(rows), model.person_scores(rows), model.people, graph.num_people),
    ):
        assert inside.shape == (50, len(catalogue)) and np.isfinite(inside).all()
        assert np.isneginf(widened[:, np.setdiff1d(np.arange(total), catalogue)]).all()
        assert np.array_equal(widened[:, catalogue], inside)
