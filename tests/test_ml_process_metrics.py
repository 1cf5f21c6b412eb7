"""Process metrics (git activity, DORA) reach the success head: where they carry the
outcome, the model predicts it better with them than without."""

from __future__ import annotations

import numpy as np
import pytest

from maestro_graph.ml.evaluation import protocol
from maestro_graph.ml.evaluation.synthetic import planted_graph
from maestro_graph.ml.training.features import text_vectors
from maestro_graph.ml.training.maestro_model import MaestroModel, ModelConfig


@pytest.fixture(scope="module")
def activity_driven():
    """The planted graph with outcomes decided by a per-project activity figure instead."""
    graph, _ = planted_graph(seed=4)
    rng = np.random.default_rng(4)
    activity = rng.normal(size=graph.num_projects)
    removal = 1.0 / (1.0 + np.exp(2.0 + 2.5 * activity))  # quiet projects are removed
    success = (rng.random(graph.num_projects) >= removal).astype(float)
    # Two columns like integrations.project_signals gives: a presence flag and the figure.
    process = np.column_stack([np.ones(graph.num_projects), activity]).astype(np.float32)
    return graph.with_edges(success=success), process


def _removal_auc(graph, process, split) -> float:
    config = ModelConfig(seed=0)
    config.train.max_epochs = 40
    project_text, artifact_text = text_vectors(split.train, None)
    model = MaestroModel(config).fit(split.train, project_text, artifact_text, process=process)
    return protocol.measure_outcome(split, model.removal_probability(split.projects))["roc_auc"]


def test_process_metrics_that_drive_outcomes_are_learned(activity_driven):
    graph, process = activity_driven
    split = protocol.outcome_split(graph, seed=0)
    assert split.removed.sum() >= 10  # enough removed projects for the AUC to mean something
    with_metrics = _removal_auc(graph, process, split)
    without = _removal_auc(graph, None, split)
    assert with_metrics > 0.8
    assert with_metrics > without + 0.1


def test_process_metrics_must_align_with_the_projects(activity_driven):
    graph, process = activity_driven
    project_text, artifact_text = text_vectors(graph, None)
    config = ModelConfig(seed=0)
    config.train.max_epochs = 1
    with pytest.raises(ValueError, match="one row per project"):
        MaestroModel(config).fit(graph, project_text, artifact_text, process=process[:-1])
