"""Gradient-boosted trees predicting removal from label-free structure plus one label-based
score: the out-of-fold bag-of-artifacts logistic score.

Structure (how many projects rely on a project's artifact, how popular its
dependencies are, how busy its people are) carries no outcome. The
bag-of-artifacts score does, so training rows get it out-of-fold and every other
row from a model fit on all training labels: a project's own label never
reaches its own features.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from maestro_graph.ml.training.outcome_features import (
    dependency_structure_features,
    member_structure_features,
    published_artifact_features,
)
from maestro_graph.ml.training.outcome_scores import outcome_scores
from maestro_graph.ml.tree_threads import tree_threads
from maestro_graph.ml.usage_graph import UsageGraph


def tree_features(graph: UsageGraph, seed: int = 0) -> np.ndarray:
    """(n_projects, n_features): label-free structure, then the bag-of-artifacts removal logit."""
    bag = outcome_scores(graph, seed=seed, views=("artifacts",)).scores[:, 0]
    return np.column_stack(
        [
            published_artifact_features(graph),
            dependency_structure_features(graph),
            member_structure_features(graph),
            bag,
        ]
    ).astype(np.float64)


class OutcomeTrees:
    """HistGradientBoostingClassifier on `tree_features`; scores are removal probabilities.

    `features` may be passed in when several settings are fit on one graph (the
    features do not depend on the tree settings)."""

    def __init__(
        self,
        graph: UsageGraph,
        learning_rate: float = 0.05,
        max_leaf_nodes: int = 15,
        seed: int = 0,
        features: np.ndarray | None = None,
    ):
        self.features = tree_features(graph, seed) if features is None else features
        labelled = np.flatnonzero(~np.isnan(graph.success))
        removed = (graph.success[labelled] == 0).astype(np.int64)
        self.constant: float | None = None
        if len(np.unique(removed)) < 2:
            self.constant = float(removed.mean()) if len(removed) else 0.0
            return
        self.model = HistGradientBoostingClassifier(
            learning_rate=learning_rate,
            max_leaf_nodes=max_leaf_nodes,
            max_iter=200,
            min_samples_leaf=40,
            l2_regularization=1.0,
            early_stopping=False,  # no inner random split: the same seed gives the same trees
            random_state=seed,
        )
        with tree_threads():
            self.model.fit(self.features[labelled], removed)

    def __call__(self, projects: np.ndarray) -> np.ndarray:
        if self.constant is not None:
            return np.full(len(projects), self.constant)
        with tree_threads():
            return self.model.predict_proba(self.features[projects])[:, 1]
