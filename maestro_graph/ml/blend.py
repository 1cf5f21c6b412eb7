"""A learned linear blend of ranking signals, fit on validation queries only.

Each signal is standardised per query row (over the candidate items, i.e. not
already linked), so signals on different scales become comparable; a logistic
regression then separates the hidden items from hard negatives (each signal's
top candidates) and random ones. The blended score is the weighted sum of the
standardised signals, which ranks every item, not only sampled ones.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

Signal = Callable[[np.ndarray], np.ndarray]


def _standardise(scores: np.ndarray, excluded: np.ndarray) -> np.ndarray:
    masked = np.where(excluded, np.nan, scores)
    mean = np.nanmean(masked, axis=1, keepdims=True)
    std = np.nanstd(masked, axis=1, keepdims=True)
    out = (scores - mean) / np.maximum(std, 1e-9)
    return np.where(excluded, 0.0, out)


def _excluded(known: sp.csr_matrix, rows: np.ndarray, extra: np.ndarray | None) -> np.ndarray:
    mask = np.asarray(known[rows].todense()) > 0
    if extra is not None:
        mask |= extra[None, :]
    return mask


def signal_stack(signals: dict[str, Signal], rows: np.ndarray, known: sp.csr_matrix,
                 extra_excluded: np.ndarray | None = None) -> np.ndarray:
    """(n_signals, batch, n_items) per-row standardised signal scores."""
    excluded = _excluded(known, rows, extra_excluded)
    return np.stack([_standardise(np.asarray(fn(rows), dtype=np.float64), excluded) for fn in signals.values()])


class LinearBlend:
    def __init__(self, names: list[str], weights: np.ndarray):
        self.names = list(names)
        self.weights = np.asarray(weights, dtype=np.float64)

    def as_dict(self) -> dict[str, float]:
        return {name: float(w) for name, w in zip(self.names, self.weights)}

    def scorer(self, signals: dict[str, Signal], known: sp.csr_matrix,
               extra_excluded: np.ndarray | None = None) -> Signal:
        def score(rows: np.ndarray) -> np.ndarray:
            stack = signal_stack(signals, rows, known, extra_excluded)
            return np.tensordot(self.weights, stack, axes=1)

        return score


def fit_blend(signals: dict[str, Signal], rows: np.ndarray, targets: list[np.ndarray], known: sp.csr_matrix,
              seed: int = 0, hard_per_signal: int = 20, random_negatives: int = 20,
              extra_excluded: np.ndarray | None = None, batch: int = 250) -> LinearBlend:
    """Fit blend weights on validation queries `rows` whose hidden items are `targets`."""
    rng = np.random.default_rng([seed, 11])
    features, labels = [], []
    for start in range(0, len(rows), batch):
        block = rows[start:start + batch]
        stack = signal_stack(signals, block, known, extra_excluded)
        excluded = _excluded(known, block, extra_excluded)
        n_items = stack.shape[2]
        for i in range(len(block)):
            positives = set(int(t) for t in targets[start + i])
            candidates = set()
            for s in range(stack.shape[0]):
                row = np.where(excluded[i], -np.inf, stack[s, i])
                candidates.update(int(c) for c in np.argpartition(-row, hard_per_signal)[:hard_per_signal])
            candidates.update(int(c) for c in rng.integers(0, n_items, random_negatives))
            candidates = [c for c in candidates if not excluded[i, c] and c not in positives]
            chosen = sorted(positives) + sorted(candidates)
            features.append(stack[:, i, chosen].T)
            labels.append(np.r_[np.ones(len(positives)), np.zeros(len(candidates))])
    X, y = np.vstack(features), np.concatenate(labels)
    model = LogisticRegression(C=1.0, max_iter=1000).fit(X, y)
    return LinearBlend(list(signals.keys()), model.coef_.ravel())
