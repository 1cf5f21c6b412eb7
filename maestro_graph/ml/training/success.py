"""Project success head and artifact impact.

The success head is a classifier of removal (trees + linear, averaged) over
  [GNN project embedding | project structure features | neighbourhood outcome
   features | out-of-fold logistic scores of the sparse views (outcome_scores.py)].
The embedding comes from an encoder trained only on the link tasks, so it
carries no project's own label; the neighbourhood features and the view scores
are out-of-fold for training rows. Together that keeps training rows honest
for the trees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from maestro_graph.ml.training.outcome_features import (
    DEPENDENCY_REMOVAL_FEATURES,
    FEATURE_NAMES,
    SMOOTHING,
    dependency_removal_columns,
    neighbourhood_outcome_features,
    publication_matrix,
    publisher_labels,
)
from maestro_graph.ml.training.outcome_scores import VIEWS, OutcomeScores, outcome_scores
from maestro_graph.ml.tree_threads import tree_threads
from maestro_graph.ml.usage_graph import UsageGraph, known_matrix


@dataclass
class SuccessInputs:
    embedding: np.ndarray  # (n_projects, hidden) from the trained encoder
    structure: np.ndarray  # (n_projects, k) label-free structure features (no text)
    neighbourhood: np.ndarray  # (n_projects, len(FEATURE_NAMES)) outcome features
    views: OutcomeScores | None = None  # logistic scores per sparse view
    all_labels: bool = False  # True: view scores from the all-label models for every row (what-if only)

    def view_scores(self) -> np.ndarray:
        if self.views is None:
            return np.zeros((len(self.embedding), 0), dtype=np.float32)
        return self.views.all_label_scores if self.all_labels else self.views.scores

    def matrix(self) -> np.ndarray:
        return np.hstack([self.embedding, self.structure, self.neighbourhood, self.view_scores()]).astype(np.float32)


class SuccessHead:
    """Mean of a gradient-boosted tree model and a standardised logistic regression.

    The trees find interactions on large graphs; on small ones they underfit,
    where the linear model stays reliable, so both vote.

    Removal is rare (a few percent), so the trees take many small steps on all
    the labels instead of stopping early on a validation slice with a few dozen
    positives, whose noise decided the stopping point more than the data did.
    Leaves need `min_samples_leaf` projects so no leaf memorises a handful.
    """

    def __init__(self, seed: int = 0, max_iter: int = 300, learning_rate: float = 0.02, min_samples_leaf: int = 40):
        self.trees = HistGradientBoostingClassifier(
            max_iter=max_iter,
            learning_rate=learning_rate,
            l2_regularization=1.0,
            max_leaf_nodes=15,
            min_samples_leaf=min_samples_leaf,
            early_stopping=False,
            random_state=seed,
        )
        self.linear = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000))
        self.constant: float | None = None

    def fit(self, graph: UsageGraph, inputs: SuccessInputs) -> SuccessHead:
        labelled = np.flatnonzero(~np.isnan(graph.success))
        removed = (graph.success[labelled] == 0).astype(int)
        if len(np.unique(removed)) < 2:
            self.constant = float(removed.mean()) if len(removed) else 0.0
        else:
            features = inputs.matrix()[labelled]
            with tree_threads():
                self.trees.fit(features, removed)
            self.linear.fit(features, removed)
        return self

    def removal_probability(self, features: np.ndarray) -> np.ndarray:
        if self.constant is not None:
            return np.full(len(features), self.constant)
        with tree_threads():
            trees = self.trees.predict_proba(features)[:, 1]
        return 0.5 * (trees + self.linear.predict_proba(features)[:, 1])


def success_inputs(
    graph: UsageGraph, embedding: np.ndarray, structure: np.ndarray, seed: int = 0, views: tuple[str, ...] | None = None
) -> SuccessInputs:
    """All head inputs; `views=None` takes every view of outcome_scores, () none."""
    chosen = None if views == () else outcome_scores(graph, seed=seed, views=VIEWS if views is None else views)
    return SuccessInputs(
        embedding=embedding,
        structure=structure,
        neighbourhood=neighbourhood_outcome_features(graph, seed=seed),
        views=chosen,
    )


IMPACT_PRIOR_PROJECTS = 5.0  # pseudo-projects of zero effect each artifact starts with


def success_without_each_use(
    graph: UsageGraph, head: SuccessHead, inputs: SuccessInputs, embedding_without: np.ndarray, degree_column: int
) -> tuple[np.ndarray, np.ndarray]:
    """The success head evaluated on every project as it is, and once per USES edge (p, a) on
    p's inputs with a taken out of its neighbourhood: (p_success per project, p_without per edge).

    "Without a" changes every input of the success head that a touches: the project's
    embedding (`embedding_without`, one row per USES edge, first order), its USES degree
    (structure column `degree_column`, stored as log1p), the artifact mean/max outcome rates
    and support and the removed-dependency counts of the neighbourhood features, recomputed
    from the same training labels without a, and the "artifacts" view's logit, which is
    linear in the USES columns and loses a's weight. Other inputs (the dependency and member
    structure features among them) stay as they are. Both sides use rates and view scores
    from all training labels, so a difference reflects the artifact alone, not the
    out-of-fold noise of the published predictions.
    """
    uses = graph.uses
    base = SuccessInputs(
        inputs.embedding,
        inputs.structure,
        neighbourhood_outcome_features(graph, folds=0),
        inputs.views,
        all_labels=True,
    ).matrix()
    p_success = 1.0 - head.removal_probability(base)
    if len(uses) == 0:
        return p_success, np.zeros(0)
    projects = uses[:, 0]
    ablated = base[projects].copy()
    hidden = inputs.embedding.shape[1]
    ablated[:, :hidden] = embedding_without
    n_struct = inputs.structure.shape[1]
    degree = np.expm1(inputs.structure[projects, degree_column])
    ablated[:, hidden + degree_column] = np.log1p(np.maximum(degree - 1, 0))
    neighbourhood = _artifact_rates_without(graph)
    offset = hidden + n_struct
    ablated[:, offset + 2] = neighbourhood[:, 0]
    ablated[:, offset + 3] = neighbourhood[:, 1]
    ablated[:, offset + 5] = neighbourhood[:, 2]
    removals = [offset + FEATURE_NAMES.index(name) for name in DEPENDENCY_REMOVAL_FEATURES]
    ablated[:, removals] = _dependency_removals_without(graph)
    if inputs.views is not None and "artifacts" in inputs.views.views:
        column = offset + inputs.neighbourhood.shape[1] + inputs.views.views.index("artifacts")
        ablated[:, column] -= inputs.views.artifact_weights(graph)
    return p_success, 1.0 - head.removal_probability(ablated)


def artifact_impact(
    graph: UsageGraph,
    head: SuccessHead,
    inputs: SuccessInputs,
    embedding_without: np.ndarray,
    degree_column: int,
    prior_projects: float = IMPACT_PRIOR_PROJECTS,
) -> np.ndarray:
    """Artifact impact: the change in predicted success probability of the projects
    that use an artifact when the artifact is taken out of their neighbourhood,
    shrunk towards 0 by how few projects use it.

        delta(p, a) = P(success | p with a) - P(success | p without a)
        impact(a)   = sum over projects p that use a of delta(p, a)  /  (n_a + prior_projects)

    where n_a is the number of projects using a in the graph. This is the
    posterior mean of a's effect when its effect starts at 0 with the weight of
    `prior_projects` projects: an artifact used by one project keeps at most
    1 / (1 + prior_projects) of that project's delta, one used by hundreds keeps
    nearly the plain mean. Artifacts nobody uses get impact 0.

    Positive impact means the model thinks projects do better *with* the
    artifact. Both probabilities are those of `success_without_each_use`.
    """
    uses = graph.uses
    if len(uses) == 0:
        return np.zeros(graph.num_artifacts)
    p_success, p_without = success_without_each_use(graph, head, inputs, embedding_without, degree_column)
    return impact_from_changes(graph, p_success[uses[:, 0]] - p_without, prior_projects)


def impact_from_changes(
    graph: UsageGraph, delta: np.ndarray, prior_projects: float = IMPACT_PRIOR_PROJECTS
) -> np.ndarray:
    """Per artifact: the per-edge `delta` of its users, summed and shrunk as `artifact_impact` says."""
    artifacts = graph.uses[:, 1]
    total = np.bincount(artifacts, weights=delta, minlength=graph.num_artifacts)
    count = np.bincount(artifacts, minlength=graph.num_artifacts)
    return total / (count + max(float(prior_projects), 0.0) + (count == 0))


def _artifact_rates_without(graph: UsageGraph) -> np.ndarray:
    """Per USES edge (p, a): p's artifact-rate mean, max and support with a left out.

    Uses all training labels (the same rates unlabelled rows see at prediction time).
    """
    usage = known_matrix(graph.uses, graph.num_projects, graph.num_artifacts)
    labelled = ~np.isnan(graph.success)
    removed = np.where(labelled, graph.success == 0, False).astype(np.float64)
    prior = float(removed[labelled].mean()) if labelled.any() else 0.0
    n = usage.T @ labelled.astype(np.float64)
    k = usage.T @ removed
    rate = (k + SMOOTHING * prior) / (n + SMOOTHING)
    support = np.log1p(n)
    projects, artifacts = graph.uses[:, 0], graph.uses[:, 1]
    count = np.asarray(usage.sum(axis=1)).ravel()
    rate_sum = usage @ rate
    support_sum = usage @ support
    rest = count[projects] - 1
    mean = np.where(rest > 0, (rate_sum[projects] - rate[artifacts]) / np.maximum(rest, 1), prior)
    support_mean = np.where(rest > 0, (support_sum[projects] - support[artifacts]) / np.maximum(rest, 1), 0.0)
    # Max without a: the best and second-best rate per project decide it.
    scaled = sp.csr_matrix(usage.multiply(rate[None, :]))
    best = np.full(graph.num_projects, prior)
    second = np.full(graph.num_projects, prior)
    for p in range(graph.num_projects):
        values = scaled.data[scaled.indptr[p] : scaled.indptr[p + 1]]
        if len(values) >= 2:
            top2 = np.partition(values, len(values) - 2)[-2:]
            best[p], second[p] = top2[1], top2[0]
        elif len(values) == 1:
            best[p] = values[0]
    maximum = np.where(rate[artifacts] >= best[projects], second[projects], best[projects])
    maximum = np.where(rest > 0, maximum, prior)
    return np.column_stack([mean, maximum, support_mean])


def _dependency_removals_without(graph: UsageGraph) -> np.ndarray:
    """Per USES edge (p, a): p's removed-dependency features with a left out (all training labels)."""
    usage = known_matrix(graph.uses, graph.num_projects, graph.num_artifacts)
    labelled = ~np.isnan(graph.success)
    removed = np.where(labelled, graph.success == 0, False).astype(np.float64)
    prior = float(removed[labelled].mean()) if labelled.any() else 0.0
    labelled_publisher, removed_publisher = publisher_labels(publication_matrix(graph), removed, labelled)
    projects, artifacts = graph.uses[:, 0], graph.uses[:, 1]
    n = (usage @ labelled_publisher)[projects] - labelled_publisher[artifacts]
    k = (usage @ removed_publisher)[projects] - removed_publisher[artifacts]
    return dependency_removal_columns(n, k, prior)
