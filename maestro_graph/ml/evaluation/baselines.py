"""Classic baselines for the three protocol tasks (numpy, scipy, scikit-learn).

Each baseline is fit on a training graph only. Ranking baselines return a
scorer `project_indices -> (batch, n_items) scores`; the outcome baseline
returns removal probabilities for the requested projects.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

from maestro_graph.ml.usage_graph import UsageGraph, known_matrix


def usage_matrix(graph: UsageGraph) -> sp.csr_matrix:
    """Projects x artifacts, 1 where the project uses the artifact."""
    return known_matrix(graph.uses, graph.num_projects, graph.num_artifacts)


def membership_matrix(graph: UsageGraph) -> sp.csr_matrix:
    """Projects x people, 1 where the person is a member of the project."""
    return known_matrix(graph.members[:, ::-1], graph.num_projects, graph.num_people)


def dense_array(matrix) -> np.ndarray:
    """A sparse or dense score matrix as a dense float64 array."""
    return np.asarray(matrix.todense() if sp.issparse(matrix) else matrix, dtype=np.float64)


class ArtifactPopularity:
    """Score = number of training projects using the artifact."""

    def __init__(self, graph: UsageGraph):
        self.counts = np.bincount(graph.uses[:, 1], minlength=graph.num_artifacts).astype(np.float64)

    def __call__(self, projects: np.ndarray) -> np.ndarray:
        return np.tile(self.counts, (len(projects), 1))


def item_cosine(usage: sp.csr_matrix) -> sp.csr_matrix:
    """Artifact x artifact cosine similarity of their user-project columns (no self-similarity)."""
    columns = normalize(usage.tocsc().astype(np.float64), norm="l2", axis=0)
    similarity = (columns.T @ columns).tocsr()
    similarity.setdiag(0.0)
    similarity.eliminate_zeros()
    return similarity


class ItemKNN:
    """Score(p, a) = sum of cosine(a', a) over artifacts a' that p uses in training."""

    def __init__(self, graph: UsageGraph):
        self.usage = usage_matrix(graph)
        self.similarity = item_cosine(self.usage)

    def __call__(self, projects: np.ndarray) -> np.ndarray:
        return dense_array(self.usage[projects] @ self.similarity)


class PersonPopularity:
    """Score = number of training projects the person is a member of."""

    def __init__(self, graph: UsageGraph):
        self.counts = np.bincount(graph.members[:, 0], minlength=graph.num_people).astype(np.float64)

    def __call__(self, projects: np.ndarray) -> np.ndarray:
        return np.tile(self.counts, (len(projects), 1))


class ArtifactOverlap:
    """Score(p, h) = artifacts shared between p and the projects h maintains, summed over those projects.

    People who maintain projects that use the same artifacts as p rank first;
    popularity breaks ties so people with no overlap still get an order.
    """

    def __init__(self, graph: UsageGraph):
        self.usage = usage_matrix(graph)
        membership = membership_matrix(graph)
        # Artifact x person: how many of the person's projects use the artifact. Scoring through
        # it (U_p (U^T M)) gives the same counts as through projects ((U_p U^T) M) without the
        # batch x projects intermediate, which an artifact nearly every project uses makes dense.
        self.through_people = (self.usage.T.tocsr() @ membership).tocsr()
        counts = np.asarray(membership.sum(axis=0)).ravel()
        self.tie_break = 1e-6 * counts / max(counts.max(), 1.0)

    def __call__(self, projects: np.ndarray) -> np.ndarray:
        return dense_array(self.usage[projects] @ self.through_people) + self.tie_break[None, :]


def bag_of_artifacts_features(graph: UsageGraph) -> sp.csr_matrix:
    """Binary artifact columns followed by a one-hot of the project's section."""
    sections = sorted(set(graph.project_section))
    section_index = {name: i for i, name in enumerate(sections)}
    rows = np.arange(graph.num_projects)
    cols = np.array([section_index[name] for name in graph.project_section])
    section_onehot = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(graph.num_projects, len(sections)))
    return sp.hstack([usage_matrix(graph), section_onehot]).tocsr()


class OutcomeLogReg:
    """Logistic regression on bag of artifacts + section, predicting removal."""

    def __init__(self, graph: UsageGraph, C: float = 1.0, seed: int = 0):
        self.features = bag_of_artifacts_features(graph)
        labelled = np.flatnonzero(~np.isnan(graph.success))
        removed = (graph.success[labelled] == 0).astype(int)
        self.model = LogisticRegression(C=C, max_iter=2000, random_state=seed)
        self.constant = None
        if len(np.unique(removed)) < 2:
            self.constant = float(removed.mean()) if len(removed) else 0.0
        else:
            self.model.fit(self.features[labelled], removed)

    def __call__(self, projects: np.ndarray) -> np.ndarray:
        if self.constant is not None:
            return np.full(len(projects), self.constant)
        return self.model.predict_proba(self.features[projects])[:, 1]
