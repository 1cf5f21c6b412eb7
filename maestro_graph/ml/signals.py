"""Classic ranking signals blended with the GNN scores (all computed from a training graph)."""

from __future__ import annotations

import numpy as np

from maestro_graph.ml.baselines import ArtifactOverlap, ItemKNN, _dense, membership_matrix


class TextCosine:
    """Cosine between a project's text vector and each item's vector (rows pre-normalised)."""

    def __init__(self, project_vectors: np.ndarray, item_vectors: np.ndarray):
        self.project = _unit(project_vectors)
        self.items = _unit(item_vectors)

    def __call__(self, projects: np.ndarray) -> np.ndarray:
        return self.project[projects] @ self.items.T


class CoMembership:
    """Score(p, h) = projects h shares with p's current members (people who already work together)."""

    def __init__(self, graph):
        membership = membership_matrix(graph)
        self.membership = membership
        self.together = (membership.T @ membership).tocsr()  # person x person shared projects
        self.together.setdiag(0.0)
        self.together.eliminate_zeros()

    def __call__(self, projects: np.ndarray) -> np.ndarray:
        return _dense(self.membership[projects] @ self.together)


def _unit(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.shape[1] == 0:
        return np.zeros((matrix.shape[0], 1), dtype=np.float32)
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)


def artifact_signals(graph, project_text: np.ndarray, artifact_text: np.ndarray) -> dict:
    """Signals for artifact ranking; log1p tames the long tail of co-use counts."""
    knn = ItemKNN(graph)
    popularity = np.log1p(np.bincount(graph.uses[:, 1], minlength=graph.num_artifacts)).astype(np.float64)
    return {
        "item_knn": lambda rows: np.log1p(knn(rows)),
        "popularity": lambda rows: np.tile(popularity, (len(rows), 1)),
        "text": TextCosine(project_text, artifact_text),
    }


def person_text_vectors(graph, project_text: np.ndarray) -> np.ndarray:
    """A person's text vector: the mean text vector of the projects they are a member of."""
    membership = membership_matrix(graph)
    counts = np.asarray(membership.sum(axis=0)).ravel()
    return np.asarray(membership.T @ project_text) / np.maximum(counts, 1)[:, None]


def team_signals(graph, project_text: np.ndarray) -> dict:
    overlap = ArtifactOverlap(graph)
    together = CoMembership(graph)
    popularity = np.log1p(np.bincount(graph.members[:, 0], minlength=graph.num_people)).astype(np.float64)
    return {
        "artifact_overlap": lambda rows: np.log1p(np.maximum(overlap(rows), 0.0)),
        "co_membership": lambda rows: np.log1p(together(rows)),
        "popularity": lambda rows: np.tile(popularity, (len(rows), 1)),
        "text": TextCosine(project_text, person_text_vectors(graph, project_text)),
    }
