"""The `validation` block `train` prints: the figures of the evaluation whose parameters the
encoder kept, and no figure of its removal head unless that head was trained."""

from __future__ import annotations

from threadpoolctl import threadpool_limits

from maestro_graph.ml.evaluation.synthetic import planted_graph
from maestro_graph.ml.text_embedding import HashingEmbedder
from maestro_graph.ml.training.features import text_vectors
from maestro_graph.ml.training.maestro_model import MaestroModel, ModelConfig
from maestro_graph.ml.training.training_loop import TrainConfig


def _fit(outcome_weight: float) -> MaestroModel:
    graph, _ = planted_graph(seed=0, n_projects=300, n_artifacts=120, n_people=50)
    project_text, artifact_text = text_vectors(graph, HashingEmbedder(16), cache_dir="")
    train = TrainConfig(
        hidden=16, max_epochs=60, eval_every=10, patience=6, lr=0.03, val_queries=60, outcome_weight=outcome_weight
    )
    # One OpenMP thread for the success head's trees: on a busy machine their spinning threads
    # make this small fit take minutes.
    with threadpool_limits(limits=1, user_api="openmp"):
        return MaestroModel(ModelConfig(seed=0, blend=False, train=train)).fit(graph, project_text, artifact_text)


def test_untrained_removal_head_is_not_reported_and_the_kept_evaluation_is():
    model = _fit(outcome_weight=0.0)
    history = model.trained.history
    assert len(history) > 1 and "roc_auc" in history[0]  # the loop measures the head it did not train
    block = model.validation_figures()
    assert not {"roc_auc", "ap", "base_rate"} & set(block)
    best = max(history, key=lambda scores: scores["recall@10"] + scores["hit@10"])
    assert block["epoch"] == best["epoch"]
    assert block["recall@10"] == best["recall@10"] and block["hit@10"] == best["hit@10"]


def test_trained_removal_head_is_reported():
    block = _fit(outcome_weight=1.0).validation_figures()
    assert {"roc_auc", "ap", "base_rate"} <= set(block)
