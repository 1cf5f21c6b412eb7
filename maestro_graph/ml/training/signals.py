"""Classic ranking signals of the link blends (all computed from a training graph)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from maestro_graph.ml.evaluation import co_membership
from maestro_graph.ml.evaluation.baselines import ArtifactOverlap, ItemKNN, dense_array, membership_matrix, usage_matrix
from maestro_graph.ml.evaluation.item_models import EASE, EASE_MAX_ITEMS, RP3beta

# Settings the validation grids of `evaluation.tuning` chose on debian-bullseye (λ 20-50;
# α 0.8-1.0, β 0.2): fixed here so that `train` runs no grid of its own.
EASE_L2 = 50.0
RP3BETA_ALPHA, RP3BETA_BETA = 1.0, 0.2


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
        return dense_array(self.membership[projects] @ self.together)


class PeersReuse:
    """Score(p, a) = how many projects of p's members (other than p) use a.

    The same people tend to build on the same artifacts, whatever the project. Kept sparse
    until the end: a batch of projects reaches a few hundred related projects each, not the
    tens of thousands a dense (batch x projects) intermediate would hold.
    """

    def __init__(self, graph):
        self.membership = membership_matrix(graph)
        self.membership_t = self.membership.T.tocsr()
        self.usage = usage_matrix(graph).astype(np.float64).tocsr()

    def __call__(self, projects: np.ndarray) -> np.ndarray:
        projects = np.asarray(projects)
        related = sp.csr_matrix(self.membership[projects] @ self.membership_t)
        own = related.indices == np.repeat(projects, np.diff(related.indptr))
        related.data[own] = 0.0  # only the members' *other* projects count
        related.eliminate_zeros()
        return dense_array(related @ self.usage)


class SectionPopularity:
    """Score(p, a) = share of the projects in p's section that use a (popularity within the section)."""

    def __init__(self, graph):
        sections = sorted(set(graph.project_section))
        index = {name: i for i, name in enumerate(sections)}
        self.section_of = np.array([index[name] for name in graph.project_section], dtype=np.int64)
        onehot = sp.csr_matrix(
            (np.ones(graph.num_projects), (self.section_of, np.arange(graph.num_projects))),
            shape=(len(sections), graph.num_projects),
        )
        counts = np.asarray(onehot.sum(axis=1)).ravel()
        # Kept sparse: data with many small sections would make a dense table large.
        self.share = sp.diags(1.0 / np.maximum(counts, 1)) @ (onehot @ usage_matrix(graph)).astype(np.float64)
        self.share = self.share.tocsr()

    def __call__(self, projects: np.ndarray) -> np.ndarray:
        return dense_array(self.share[self.section_of[np.asarray(projects)]])


class EaseSignal:
    """EASE scores, with the artifacts it does not model (the long tail past its item cap) at
    each row's lowest modelled score rather than its far-below sentinel, so that per-row
    standardisation measures the spread of the modelled scores, not the distance to -1e9."""

    def __init__(self, graph, max_items: int = EASE_MAX_ITEMS):
        self.ease = EASE(graph, l2=EASE_L2, max_items=max_items)
        self.unmodelled = np.ones(graph.num_artifacts, dtype=bool)
        self.unmodelled[self.ease.items] = False

    def __call__(self, projects: np.ndarray) -> np.ndarray:
        scores = self.ease(np.asarray(projects))
        if self.unmodelled.any() and len(self.ease.items):
            floor = scores[:, self.ease.items].min(axis=1)
            scores[:, self.unmodelled] = floor[:, None]
        return scores


def _unit(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.shape[1] == 0:
        return np.zeros((matrix.shape[0], 1), dtype=np.float32)
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)


def artifact_signals(graph, project_text: np.ndarray, artifact_text: np.ndarray) -> dict:
    """Signals for artifact ranking; log1p tames the long tail of co-use counts.

    `bench/link_signals.py` measures each one's lift over three seeds (bench/RESULTS.md).
    Project co-use (user-based kNN, the costliest to score) is left out: without it the blend
    lost 0.001 Recall@10 and NDCG@10, within the seeds' spread.
    """
    knn = ItemKNN(graph)
    peers = PeersReuse(graph)
    section = SectionPopularity(graph)
    popularity = np.log1p(np.bincount(graph.uses[:, 1], minlength=graph.num_artifacts)).astype(np.float64)
    ease = EaseSignal(graph)
    rp3beta = RP3beta(graph, alpha=RP3BETA_ALPHA, beta=RP3BETA_BETA)
    return {
        "ease": ease,
        "rp3beta": rp3beta,
        "item_knn": lambda rows: np.log1p(knn(rows)),
        "peers_reuse": lambda rows: np.log1p(peers(rows)),
        "section_popularity": section,
        "popularity": lambda rows: popularity[None, :],  # the same on every row
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
    # Two views of working together: the log of all projects shared with the current members,
    # and the sum over members of the log of each one's shared projects (the co-membership
    # baseline), where one prolific pair of co-maintainers cannot drown the other members.
    # The second lifted the blend's HitRate@10 by 0.02-0.04 on three seeds (bench/RESULTS.md).
    per_member = co_membership.CoMembership(graph, overlap_weight=0.0, overlap=overlap)
    return {
        "artifact_overlap": lambda rows: np.log1p(np.maximum(overlap(rows), 0.0)),
        "co_membership": lambda rows: np.log1p(together(rows)),
        "co_membership_per_member": per_member,
        "popularity": lambda rows: popularity[None, :],  # the same on every row
        "text": TextCosine(project_text, person_text_vectors(graph, project_text)),
    }
