"""Classic ranking signals of the link blends (all computed from a training graph)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from maestro_graph.ml.evaluation import co_membership
from maestro_graph.ml.evaluation.baselines import (
    ArtifactOverlap,
    dense_array,
    item_cosine,
    membership_matrix,
    usage_matrix,
)
from maestro_graph.ml.evaluation.item_models import EASE, EASE_MAX_ITEMS, RP3beta, most_used_artifacts

# Settings the validation grids of `evaluation.tuning` chose on debian-bullseye (λ 20-50;
# α 0.8-1.0, β 0.2): fixed here so that `train` runs no grid of its own.
EASE_L2 = 50.0
RP3BETA_ALPHA, RP3BETA_BETA = 1.0, 0.2

# How many artifacts the artifact blend ranks: the most used ones. A fixed number, so that
# scoring every project grows with the projects, not with projects x artifacts; past it an
# artifact has at most a few users (bench/RESULTS.md: the share of uses it covers, and the
# blend's recall against ranking every artifact).
ARTIFACT_CATALOGUE = 6000
# The same for the team blend: the people (of kind person) in the most projects. It holds every
# person of debian-bullseye (3,206 of kind person); smaller catalogues cost team HitRate@10 there (3,000: -0.003,
# 2,000: -0.007, 1,000: -0.031; bench/RESULTS.md), what a graph with more people pays past it.
PERSON_CATALOGUE = 4000


class TextCosine:
    """Cosine between a project's text vector and each item's vector (rows pre-normalised)."""

    def __init__(self, project_vectors: np.ndarray, item_vectors: np.ndarray):
        self.project = _unit(project_vectors)
        self.items = _unit(item_vectors)

    def __call__(self, projects: np.ndarray) -> np.ndarray:
        return self.project[projects] @ self.items.T


class PeersReuse:
    """Score(p, a) = how many projects of p's members (other than p) use a.

    The same people tend to build on the same artifacts, whatever the project. Kept sparse
    until the end: a batch of projects reaches a few hundred related projects each, not the
    tens of thousands a dense (batch x projects) intermediate would hold.
    """

    def __init__(self, graph, catalogue: np.ndarray):
        self.membership = membership_matrix(graph)
        self.membership_t = self.membership.T.tocsr()
        self.usage = _columns(usage_matrix(graph).astype(np.float64), catalogue)

    def __call__(self, projects: np.ndarray) -> np.ndarray:
        projects = np.asarray(projects)
        related = sp.csr_matrix(self.membership[projects] @ self.membership_t)
        own = related.indices == np.repeat(projects, np.diff(related.indptr))
        related.data[own] = 0.0  # only the members' *other* projects count
        related.eliminate_zeros()
        return dense_array(related @ self.usage)


class SectionPopularity:
    """Score(p, a) = share of the projects in p's section that use a (popularity within the section)."""

    def __init__(self, graph, catalogue: np.ndarray):
        sections = sorted(set(graph.project_section))
        index = {name: i for i, name in enumerate(sections)}
        self.section_of = np.array([index[name] for name in graph.project_section], dtype=np.int64)
        onehot = sp.csr_matrix(
            (np.ones(graph.num_projects), (self.section_of, np.arange(graph.num_projects))),
            shape=(len(sections), graph.num_projects),
        )
        counts = np.asarray(onehot.sum(axis=1)).ravel()
        # Kept sparse: data with many small sections would make a dense table large.
        share = sp.diags(1.0 / np.maximum(counts, 1)) @ (onehot @ usage_matrix(graph)).astype(np.float64)
        self.share = _columns(share, catalogue)

    def __call__(self, projects: np.ndarray) -> np.ndarray:
        return dense_array(self.share[self.section_of[np.asarray(projects)]])


class ThroughLinks:
    """Score(p, c) = sum over the nodes n that p links to of W[n, c], for the catalogue's columns c
    only: item kNN's cosine and RP3beta's walk through the artifacts p uses, co-membership through
    its members, artifact overlap through the artifacts it uses to the people who use them."""

    def __init__(self, links: sp.spmatrix, weights: sp.spmatrix, catalogue: np.ndarray):
        self.links = sp.csr_matrix(links, dtype=np.float64)
        self.weights = _columns(weights, catalogue)

    def __call__(self, projects: np.ndarray) -> np.ndarray:
        return dense_array(self.links[np.asarray(projects)] @ self.weights)


class EaseSignal:
    """EASE scores over the catalogue. EASE models at most `max_items` artifacts (its inverse is
    dense); a catalogue artifact past those gets each row's lowest modelled score rather than a
    far-below sentinel, so that per-row standardisation measures the spread of the modelled
    scores, not the distance to -1e9."""

    def __init__(self, graph, catalogue: np.ndarray, max_items: int = EASE_MAX_ITEMS):
        self.ease = EASE(graph, l2=EASE_L2, max_items=max_items)
        column = np.full(graph.num_artifacts, -1, dtype=np.int64)
        column[catalogue] = np.arange(len(catalogue))
        modelled_column = column[self.ease.items]
        self.source = np.flatnonzero(modelled_column >= 0)  # positions among EASE's items
        self.target = modelled_column[self.source]  # their catalogue columns
        self.unmodelled = np.ones(len(catalogue), dtype=bool)
        self.unmodelled[self.target] = False

    def __call__(self, projects: np.ndarray) -> np.ndarray:
        modelled = np.asarray(self.ease.usage[np.asarray(projects)] @ self.ease.weights)
        scores = np.empty((len(projects), len(self.unmodelled)))
        scores[:, self.target] = modelled[:, self.source]
        if self.unmodelled.any():
            floor = modelled.min(axis=1) if modelled.shape[1] else np.zeros(len(projects))
            scores[:, self.unmodelled] = floor[:, None]
        return scores


def _columns(matrix: sp.spmatrix, columns: np.ndarray) -> sp.csr_matrix:
    """`matrix[:, columns]` as CSR (sliced in CSC, where taking columns is cheap)."""
    return sp.csr_matrix(sp.csc_matrix(matrix)[:, columns])


def _unit(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.shape[1] == 0:
        return np.zeros((matrix.shape[0], 1), dtype=np.float32)
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-9)


def artifact_catalogue(graph, size: int = ARTIFACT_CATALOGUE) -> np.ndarray:
    """The artifacts the artifact blend ranks, ascending: the `size` most used."""
    return most_used_artifacts(usage_matrix(graph), size)


def artifact_signals(graph, project_text: np.ndarray, artifact_text: np.ndarray, catalogue: np.ndarray) -> dict:
    """Signals for artifact ranking, each a (batch, len(catalogue)) score of the catalogue's
    artifacts; log1p tames the long tail of co-use counts.

    `bench/link_signals.py` measures each one's lift over three seeds (bench/RESULTS.md).
    Project co-use (user-based kNN, the costliest to score) is left out: without it the blend
    lost 0.001 Recall@10 and NDCG@10, within the seeds' spread.
    """
    usage = usage_matrix(graph)
    knn = ThroughLinks(usage, item_cosine(usage), catalogue)
    rp3beta = RP3beta(graph, alpha=RP3BETA_ALPHA, beta=RP3BETA_BETA)
    peers = PeersReuse(graph, catalogue)
    popularity = np.log1p(np.bincount(graph.uses[:, 1], minlength=graph.num_artifacts)).astype(np.float64)
    return {
        "ease": EaseSignal(graph, catalogue),
        "rp3beta": ThroughLinks(rp3beta.usage, rp3beta.weights, catalogue),
        "item_knn": lambda rows: np.log1p(knn(rows)),
        "peers_reuse": lambda rows: np.log1p(peers(rows)),
        "section_popularity": SectionPopularity(graph, catalogue),
        "popularity": lambda rows: popularity[None, catalogue],  # the same on every row
        "text": TextCosine(project_text, artifact_text[catalogue]),
    }


def person_text_vectors(graph, project_text: np.ndarray) -> np.ndarray:
    """A person's text vector: the mean text vector of the projects they are a member of."""
    membership = membership_matrix(graph)
    counts = np.asarray(membership.sum(axis=0)).ravel()
    return np.asarray(membership.T @ project_text) / np.maximum(counts, 1)[:, None]


def person_catalogue(graph, size: int = PERSON_CATALOGUE) -> np.ndarray:
    """The people the team blend ranks, ascending: the `size` of kind person in the most projects
    (ties: lower index first). People of kind team are never suggested, so never in it."""
    projects = np.bincount(graph.members[:, 0], minlength=graph.num_people).astype(np.float64)
    projects[graph.person_is_team] = -1.0
    persons = int((~graph.person_is_team).sum())
    return np.sort(np.argsort(-projects, kind="stable")[: min(size, persons)])


def team_signals(graph, project_text: np.ndarray, people: np.ndarray) -> dict:
    """Signals for team ranking, each a (batch, len(people)) score of the catalogue's people."""
    overlap = ArtifactOverlap(graph)
    membership = membership_matrix(graph)
    together = (membership.T @ membership).tocsr()  # person x person: projects kept together
    together.setdiag(0.0)
    together.eliminate_zeros()
    # Two views of working together: the log of all projects shared with the current members,
    # and the sum over members of the log of each one's shared projects (the co-membership
    # baseline), where one prolific pair of co-maintainers cannot drown the other members.
    # The second lifted the blend's HitRate@10 by 0.02-0.04 on three seeds (bench/RESULTS.md).
    per_member = co_membership.CoMembership(graph, overlap_weight=0.0, overlap=overlap)
    shared_total = ThroughLinks(membership, together, people)
    shared_per_member = ThroughLinks(per_member.membership, per_member.shared, people)
    overlap_counts = ThroughLinks(overlap.usage, overlap.through_people, people)
    tie_break = overlap.tie_break[people]
    popularity = np.log1p(np.bincount(graph.members[:, 0], minlength=graph.num_people)).astype(np.float64)
    return {
        "artifact_overlap": lambda rows: np.log1p(np.maximum(overlap_counts(rows) + tie_break, 0.0)),
        "co_membership": lambda rows: np.log1p(shared_total(rows)),
        "co_membership_per_member": lambda rows: shared_per_member(rows) + tie_break,
        "popularity": lambda rows: popularity[None, people],  # the same on every row
        "text": TextCosine(project_text, person_text_vectors(graph, project_text)[people]),
    }
