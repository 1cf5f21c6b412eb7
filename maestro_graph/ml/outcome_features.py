"""Neighbourhood outcome features: how often a project's people and artifacts went with removal.

For each project: smoothed removal rates of its members' other projects and of
its artifacts' other user projects (mean and max), plus how many labelled
neighbours back them. Labels of the project itself must never feed its own
features, so training rows are computed out-of-fold (K folds over the
labelled projects) and every other row from all training labels.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from maestro_graph.ml.protocol import known_matrix
from maestro_graph.ml.usage_graph import UsageGraph

SMOOTHING = 5.0  # pseudo-count pulling small neighbourhoods towards the global rate


def _rates(incidence: sp.csr_matrix, removed: np.ndarray, labelled: np.ndarray, prior: float) -> tuple[np.ndarray, np.ndarray]:
    """Per column (person or artifact): smoothed removal rate over its labelled projects, and that count."""
    weights = labelled.astype(np.float64)
    n = incidence.T @ weights
    k = incidence.T @ (removed * weights)
    return (k + SMOOTHING * prior) / (n + SMOOTHING), n


def _aggregate(incidence: sp.csr_matrix, column_values: np.ndarray, empty: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and max of column values over each project's columns (`empty` for projects with none)."""
    count = np.asarray(incidence.sum(axis=1)).ravel()
    mean = np.where(count > 0, (incidence @ column_values) / np.maximum(count, 1), empty)
    scaled = incidence.multiply(column_values[None, :]).tocsr()
    maximum = np.asarray(scaled.max(axis=1).todense()).ravel()
    maximum = np.where(count > 0, maximum, empty)
    return mean, maximum


def _features_from(labels_removed: np.ndarray, labelled: np.ndarray, usage, membership, prior) -> np.ndarray:
    person_rate, person_n = _rates(membership, labels_removed, labelled, prior)
    artifact_rate, artifact_n = _rates(usage, labels_removed, labelled, prior)
    pm, px = _aggregate(membership, person_rate, prior)
    am, ax = _aggregate(usage, artifact_rate, prior)
    pn, _ = _aggregate(membership, np.log1p(person_n), 0.0)
    an, _ = _aggregate(usage, np.log1p(artifact_n), 0.0)
    return np.column_stack([pm, px, am, ax, pn, an])


FEATURE_NAMES = ("people_rate_mean", "people_rate_max", "artifact_rate_mean", "artifact_rate_max",
                 "people_support", "artifact_support")


def neighbourhood_outcome_features(graph: UsageGraph, folds: int = 5, seed: int = 0) -> np.ndarray:
    """(n_projects, 6) features; labelled rows out-of-fold, unlabelled rows from all labels.

    `folds=0` computes every row from all labels (for what-if comparisons, not training)."""
    usage = known_matrix(graph.uses, graph.num_projects, graph.num_artifacts)
    membership = known_matrix(graph.members[:, ::-1], graph.num_projects, graph.num_people)
    labelled = ~np.isnan(graph.success)
    removed = np.where(labelled, graph.success == 0, False).astype(np.float64)
    prior = float(removed[labelled].mean()) if labelled.any() else 0.0
    out = _features_from(removed, labelled, usage, membership, prior)
    if folds <= 1:
        return out.astype(np.float32)
    labelled_idx = np.flatnonzero(labelled)
    fold_of = np.random.default_rng([seed, 7]).permutation(len(labelled_idx)) % folds
    for fold in range(folds):
        rows = labelled_idx[fold_of == fold]
        visible = labelled.copy()
        visible[rows] = False
        # The prior is a rate over labels too: the fold's own labels stay out of it.
        fold_prior = float(removed[visible].mean()) if visible.any() else 0.0
        out[rows] = _features_from(removed, visible, usage, membership, fold_prior)[rows]
    return out.astype(np.float32)


def published_artifact_features(graph: UsageGraph) -> np.ndarray:
    """(n_projects, 2) label-free: [has an artifact of the same name, log1p(projects using that artifact)].

    A project whose name is also an artifact's name is taken to publish that
    artifact; the more other projects build on it, the less likely the project
    is dropped. Names are compared case-insensitively as the text before the
    first ": " (the `name: description` form of the node text). Data whose
    names never match gets zeros, which the head learns to ignore.
    """
    by_name: dict[str, int] = {}
    for index, text in enumerate(graph.artifact_text):
        by_name.setdefault(_name(text), index)
    users = np.bincount(graph.uses[:, 1], minlength=graph.num_artifacts).astype(np.float64)
    own_use = np.zeros(graph.num_projects)
    published = np.array([by_name.get(_name(text), -1) for text in graph.project_text], dtype=np.int64)
    has = published >= 0
    if len(graph.uses):
        # A project's own use of its artifact says nothing about others relying on it.
        self_use = graph.uses[published[graph.uses[:, 0]] == graph.uses[:, 1], 0]
        own_use[self_use] = 1.0
    reliance = np.where(has, users[np.maximum(published, 0)] - own_use, 0.0)
    return np.column_stack([has.astype(np.float64), np.log1p(np.maximum(reliance, 0.0))]).astype(np.float32)


def _name(text: str) -> str:
    return text.split(": ", 1)[0].strip().lower()
