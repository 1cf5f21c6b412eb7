"""Closed-form item-to-item recommenders for artifacts: EASE and RP3beta.

Both learn an artifact x artifact weight matrix W from the training usage
matrix X (projects x artifacts) and score a project's row as x @ W. They are
the strongest classic artifact recommenders on sparse usage data, so the
graph model is measured against them, on the same split.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from maestro_graph.ml.evaluation.baselines import dense_array, usage_matrix
from maestro_graph.ml.usage_graph import UsageGraph

EASE_MAX_ITEMS = 6000  # the dense inverse is (items x items): 6k items is ~0.3 GB in float64
UNMODELLED_SCORE = -1e9  # below every modelled artifact, above the protocol's -inf for known ones


def most_used_artifacts(usage: sp.csr_matrix, limit: int) -> np.ndarray:
    """Indices, ascending, of the `limit` artifacts used by most projects (ties: lower index
    first); never one that no project uses."""
    counts = np.asarray(usage.sum(axis=0)).ravel()
    used = int((counts > 0).sum())
    return np.sort(np.argsort(-counts, kind="stable")[: min(limit, used)])


class EASE:
    """Steck (2019), "Embarrassingly shallow autoencoders": W = I - P / diag(P), P = (XᵀX + λI)⁻¹.

    Only the `max_items` most used artifacts get a weight; the rest rank below
    them (an artifact used by a handful of projects is rarely a top-10 answer,
    and the dense inverse grows with the cube of the item count).
    """

    def __init__(self, graph: UsageGraph, l2: float = 200.0, max_items: int = EASE_MAX_ITEMS):
        usage = usage_matrix(graph).astype(np.float64)
        self.items = most_used_artifacts(usage, max_items)
        self.usage = usage[:, self.items].tocsr()
        self.num_artifacts = graph.num_artifacts
        gram = (self.usage.T @ self.usage).toarray()
        gram[np.diag_indices_from(gram)] += l2
        weights = np.linalg.inv(gram)
        del gram
        # B_ij = -P_ij / P_jj (in place: the inverse is the largest array here).
        weights /= -np.diag(weights)[None, :]
        np.fill_diagonal(weights, 0.0)
        self.weights = weights

    def __call__(self, projects: np.ndarray) -> np.ndarray:
        scores = np.full((len(projects), self.num_artifacts), UNMODELLED_SCORE)
        scores[:, self.items] = self.usage[projects] @ self.weights
        return scores


class RP3beta:
    """Paudel et al. (2017) random walk project -> artifact -> project -> artifact, with the
    transition probabilities raised to α and each target artifact's weight divided by its
    popularity^β (β > 0 lets less used artifacts through)."""

    def __init__(self, graph: UsageGraph, alpha: float = 0.8, beta: float = 0.4):
        usage = usage_matrix(graph).astype(np.float64)
        to_artifact = normalize(usage, norm="l1", axis=1)
        to_project = normalize(usage.T.tocsr(), norm="l1", axis=1)
        to_artifact.data **= alpha
        to_project.data **= alpha
        popularity = np.asarray(usage.sum(axis=0)).ravel()
        damping = np.where(popularity > 0, np.power(np.maximum(popularity, 1.0), -beta), 0.0)
        weights = (to_project @ to_artifact) @ sp.diags(damping)
        weights = weights.tocsr()
        weights.setdiag(0.0)
        weights.eliminate_zeros()
        self.usage = usage
        self.weights = weights

    def __call__(self, projects: np.ndarray) -> np.ndarray:
        return dense_array(self.usage[projects] @ self.weights)
