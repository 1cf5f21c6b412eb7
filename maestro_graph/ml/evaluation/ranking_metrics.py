"""Ranking and classification metrics used by the held-out protocol.

Ranking ties are broken by item index (lower first), the same order a stable
sort gives, so every figure is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best scores of each row, best first (ties: lower index first; NaN last).

    Same answer as a stable sort of each whole row, but only the candidates at or
    above each row's k-th best value are sorted, which is what makes ranking tens
    of thousands of items per query cheap.
    """
    scores = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    n_rows, n_items = scores.shape
    k = min(k, n_items)
    if k <= 0:
        return np.zeros((n_rows, 0), dtype=np.int64)
    negated = -scores
    if 4 * k >= n_items:
        return np.argsort(negated, axis=1, kind="stable")[:, :k]
    kth = np.partition(negated, k - 1, axis=1)[:, k - 1]
    out = np.empty((n_rows, k), dtype=np.int64)
    for row in range(n_rows):
        candidates = np.flatnonzero(negated[row] <= kth[row])  # NaN never qualifies
        if len(candidates) < k:  # NaNs among the best k: fall back to the full stable sort
            out[row] = np.argsort(negated[row], kind="stable")[:k]
            continue
        # Stable sort of candidates already in index order keeps lower indices first among ties.
        out[row] = candidates[np.argsort(negated[row, candidates], kind="stable")[:k]]
    return out


def recall_at_k(ranked: Iterable[Iterable[int]], hidden: Iterable[Iterable[int]], k: int = 10) -> float:
    """Mean over queries of hits in the top k / min(k, number hidden)."""
    values = []
    for items, hidden_items in zip(ranked, hidden, strict=True):
        targets = {int(t) for t in hidden_items}
        if not targets:
            continue
        hits = sum(1 for item in list(items)[:k] if int(item) in targets)
        values.append(hits / min(k, len(targets)))
    return float(np.mean(values)) if values else 0.0


def ndcg_at_k(ranked: Iterable[Iterable[int]], hidden: Iterable[Iterable[int]], k: int = 10) -> float:
    """Mean NDCG@k with binary relevance; the ideal puts all hidden items first."""
    values = []
    for items, hidden_items in zip(ranked, hidden, strict=True):
        targets = {int(t) for t in hidden_items}
        if not targets:
            continue
        dcg = sum(1.0 / np.log2(pos + 2) for pos, item in enumerate(list(items)[:k]) if int(item) in targets)
        ideal = sum(1.0 / np.log2(pos + 2) for pos in range(min(k, len(targets))))
        values.append(dcg / ideal)
    return float(np.mean(values)) if values else 0.0


def target_ranks(scores: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """1-based rank of each row's target item among all columns (ties: lower index first)."""
    scores = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    targets = np.asarray(targets, dtype=np.int64)
    target_scores = scores[np.arange(len(targets)), targets][:, None]
    better = (scores > target_scores).sum(axis=1)
    columns = np.arange(scores.shape[1])[None, :]
    tied_before = ((scores == target_scores) & (columns < targets[:, None])).sum(axis=1)
    return 1 + better + tied_before


def hit_rate_at_k(ranks: np.ndarray, k: int = 10) -> float:
    ranks = np.asarray(ranks)
    return float(np.mean(ranks <= k)) if len(ranks) else 0.0


def mean_reciprocal_rank(ranks: np.ndarray) -> float:
    ranks = np.asarray(ranks, dtype=np.float64)
    return float(np.mean(1.0 / ranks)) if len(ranks) else 0.0


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """ROC-AUC; nan when only one class is present (undefined, not 0.5)."""
    labels = np.asarray(labels)
    if len(np.unique(labels)) < 2:
        return float("nan")
    return float(roc_auc_score(labels, scores))


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    labels = np.asarray(labels)
    if labels.sum() == 0:
        return float("nan")
    return float(average_precision_score(labels, scores))
