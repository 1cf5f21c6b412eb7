"""The strong classic baselines: they find planted structure, their hyper-parameter search
only ever sees training data, and a seed fixes every figure."""

from __future__ import annotations

import numpy as np

from maestro_graph.ml.evaluation import baselines, protocol, tuning
from maestro_graph.ml.evaluation.co_membership import CoMembership
from maestro_graph.ml.evaluation.evaluate import evaluate, evaluate_seeds, render_markdown
from maestro_graph.ml.evaluation.item_models import EASE, RP3beta
from maestro_graph.ml.evaluation.outcome_trees import OutcomeTrees
from maestro_graph.ml.evaluation.seed_summary import render_summary
from maestro_graph.ml.evaluation.synthetic import planted_graph
from maestro_graph.ml.training.signals import EaseSignal

STRONG = (("artifacts", "ease"), ("artifacts", "rp3beta"), ("team", "co_membership"), ("outcome", "trees"))


def _pairs(edges: np.ndarray) -> set[tuple[int, int]]:
    return set(map(tuple, edges.tolist()))


def _hidden_uses(split: protocol.ArtifactSplit) -> set[tuple[int, int]]:
    return {(int(p), int(a)) for p, hidden in zip(split.projects, split.hidden, strict=True) for a in hidden}


def test_item_models_rank_planted_communities_far_above_popularity():
    graph, _ = planted_graph(seed=0)
    split = protocol.artifact_split(graph, seed=0, n_queries=200)
    popularity = protocol.measure_artifacts(split, baselines.ArtifactPopularity(split.train))["recall@10"]
    for model in (EASE(split.train, l2=50.0), RP3beta(split.train)):
        assert protocol.measure_artifacts(split, model)["recall@10"] > 2 * popularity


def test_ease_over_the_most_used_artifacts_only_still_ranks_them_first():
    graph, _ = planted_graph(seed=0)
    split = protocol.artifact_split(graph, seed=0, n_queries=100)
    model = EASE(split.train, max_items=50)
    counts = np.bincount(split.train.uses[:, 1], minlength=graph.num_artifacts)
    assert len(model.items) == 50 and counts[model.items].min() >= np.sort(counts)[-50]
    ranked = protocol.rank_artifacts(split.train, model, split.projects)
    assert set(ranked.ravel().tolist()) <= set(model.items.tolist())


def test_co_membership_ranks_planted_teams_far_above_popularity():
    graph, _ = planted_graph(seed=0)
    split = protocol.team_split(graph, seed=0, n_queries=150)
    popularity = protocol.measure_team(split, baselines.PersonPopularity(split.train))
    for weight in (0.0, 0.05):
        measured = protocol.measure_team(split, CoMembership(split.train, overlap_weight=weight))
        assert measured["hit@10"] > 2 * popularity["hit@10"]
        assert measured["mrr"] > 2 * popularity["mrr"]


def test_outcome_trees_predict_planted_removals_above_chance():
    graph, _ = planted_graph(seed=0)
    split = protocol.outcome_split(graph, seed=0)
    trees = OutcomeTrees(split.train, seed=0)
    assert protocol.measure_outcome(split, trees(split.projects))["roc_auc"] > 0.6


def test_artifact_tuning_sees_no_test_edge(monkeypatch):
    graph, _ = planted_graph(seed=1)
    split = protocol.artifact_split(graph, seed=0, n_queries=150)
    test_edges = _hidden_uses(split)
    fitted_on = []

    def recording_ease(train, **params):
        fitted_on.append(_pairs(train.uses))
        return EASE(train, **params)

    monkeypatch.setattr(tuning, "EASE", recording_ease)
    tuned = tuning.tune_ease(split.train, seed=0, n_queries=100)
    assert len(fitted_on) == len(tuning.EASE_GRID)
    assert all(not edges & test_edges for edges in fitted_on)
    validation = tuned.validation
    carved = _pairs(validation.train.uses) | _hidden_uses(validation)
    assert carved == _pairs(split.train.uses)  # the validation split is carved from training edges only
    assert not _hidden_uses(validation) & test_edges
    assert tuned.params in tuning.EASE_GRID
    assert [params for params, _ in tuned.figures] == tuning.EASE_GRID


def test_team_tuning_sees_no_hidden_member():
    graph, _ = planted_graph(seed=1)
    split = protocol.team_split(graph, seed=0, n_queries=60)
    test_members = set(zip(split.hidden.tolist(), split.projects.tolist(), strict=True))
    tuned = tuning.tune_co_membership(split.train, seed=0, n_queries=60)
    validation = tuned.validation
    validation_members = set(zip(validation.hidden.tolist(), validation.projects.tolist(), strict=True))
    assert _pairs(validation.train.members) | validation_members == _pairs(split.train.members)
    assert not validation_members & test_members
    assert not _pairs(validation.train.members) & test_members


def test_outcome_tuning_sees_no_test_label():
    graph, _ = planted_graph(seed=1)
    split = protocol.outcome_split(graph, seed=0)
    tuned = tuning.tune_outcome_trees(split.train, seed=0)
    validation = tuned.validation
    assert np.isnan(validation.train.success[split.projects]).all()
    assert not set(validation.projects.tolist()) & set(split.projects.tolist())
    train_labelled = np.flatnonzero(~np.isnan(split.train.success))
    assert set(validation.projects.tolist()) <= set(train_labelled.tolist())


def test_strong_baselines_are_deterministic_for_a_seed():
    graph, _ = planted_graph(seed=2, n_projects=300, n_artifacts=120, n_people=50)
    first = evaluate(graph, seed=5, n_queries=100, with_model=False)
    again = evaluate(graph, seed=5, n_queries=100, with_model=False)
    other = evaluate(graph, seed=6, n_queries=100, with_model=False)
    for task, method in STRONG:
        assert first[task][method] == again[task][method]
    assert first["hyper_parameters"] == again["hyper_parameters"]
    assert "| artifacts | ease |" in render_markdown(first) and "ease l2=" in render_markdown(first)
    assert first["artifacts"]["rp3beta"] != other["artifacts"]["rp3beta"]  # a new seed is a new split


def test_evaluate_seeds_reports_mean_and_spread_of_every_method():
    graph, _ = planted_graph(seed=3, n_projects=300, n_artifacts=120, n_people=50)
    finished = []
    outcome = evaluate_seeds(
        graph, [0, 1, 2], on_run=lambda seed, _: finished.append(seed), n_queries=60, with_model=False
    )
    assert outcome["seeds"] == [0, 1, 2] and len(outcome["runs"]) == 3
    assert finished == [0, 1, 2]  # each seed is reported as it finishes
    summary = outcome["summary"]
    for task, method in STRONG:
        values = [run[task][method] for run in outcome["runs"]]
        metric = next(iter(values[0]))
        assert np.isclose(summary[task][method][metric]["mean"], np.mean([v[metric] for v in values]))
        assert np.isclose(summary[task][method][metric]["std"], np.std([v[metric] for v in values]))
    table = render_summary(summary, 3)
    assert "| artifacts | ease | " in table and "| outcome | trees | " in table and " ± " in table


def test_ease_signal_puts_unmodelled_artifacts_at_each_rows_lowest_modelled_score():
    graph, _ = planted_graph(seed=0)
    catalogue = np.arange(graph.num_artifacts)
    signal = EaseSignal(graph, catalogue, max_items=50)  # a cap below the catalogue's size leaves a tail
    assert signal.unmodelled.any()
    scores = signal(np.arange(10))
    floor = scores[:, signal.ease.items].min(axis=1)
    assert np.isfinite(scores).all() and (scores[:, signal.unmodelled] == floor[:, None]).all()
    assert np.allclose(scores[:, signal.ease.items], signal.ease(np.arange(10))[:, signal.ease.items])
