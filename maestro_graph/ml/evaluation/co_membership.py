"""Co-membership team recommender: people who keep other projects with the current members.

Score(p, h) = sum over p's members m of log1p(projects m and h keep together),
plus a small weight times the artifact-overlap score (people who keep projects
using the same artifacts as p), which orders people with no shared project.
The log keeps one prolific pair of co-maintainers from drowning the other members.
"""

from __future__ import annotations

import numpy as np

from maestro_graph.ml.evaluation.baselines import ArtifactOverlap, dense_array, membership_matrix
from maestro_graph.ml.usage_graph import UsageGraph


class CoMembership:
    def __init__(self, graph: UsageGraph, overlap_weight: float = 0.05, overlap: ArtifactOverlap | None = None):
        """`overlap`: the graph's artifact-overlap scorer when the caller already built one."""
        self.membership = membership_matrix(graph).astype(np.float64)
        shared = (self.membership.T @ self.membership).tocsr()
        shared.setdiag(0.0)
        shared.eliminate_zeros()
        shared.data = np.log1p(shared.data)
        self.shared = shared
        self.overlap_weight = overlap_weight
        self.overlap = overlap if overlap is not None else ArtifactOverlap(graph)

    def __call__(self, projects: np.ndarray) -> np.ndarray:
        scores = dense_array(self.membership[projects] @ self.shared)
        if self.overlap_weight:
            return scores + self.overlap_weight * self.overlap(projects)
        return scores + self.overlap.tie_break[None, :]
