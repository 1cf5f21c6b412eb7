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


class Exclusions:
    """The items each query row must not rank (its known links, plus items excluded for every
    row), kept sparse: a row excludes a handful of its n items, so per-row statistics over
    the candidates are the whole row's minus a small correction, never a masked dense copy."""

    def __init__(self, known: sp.csr_matrix, rows: np.ndarray, extra: np.ndarray | None):
        linked = sp.csr_matrix(known[rows])
        linked.sum_duplicates()
        row_of = np.repeat(np.arange(len(rows)), np.diff(linked.indptr))
        keep = linked.data > 0
        if extra is not None:
            keep &= ~extra[linked.indices]  # counted once, with the shared columns
        self.n_items = known.shape[1]
        self.row_of, self.col_of = row_of[keep], linked.indices[keep]
        self.shared = np.flatnonzero(extra) if extra is not None else np.zeros(0, dtype=np.int64)
        self.candidates = self.n_items - np.bincount(self.row_of, minlength=len(rows)) - len(self.shared)

    def dense(self) -> np.ndarray:
        mask = np.zeros((len(self.candidates), self.n_items), dtype=bool)
        mask[self.row_of, self.col_of] = True
        mask[:, self.shared] = True
        return mask

    def zero(self, scores: np.ndarray) -> None:
        scores[self.row_of, self.col_of] = 0.0
        scores[:, self.shared] = 0.0

    def moments(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and (population) standard deviation of each row over its candidates.

        `x` is (rows, n_items), or (1, n_items) for a signal equal on every row.
        """
        rows = len(self.candidates)
        full = np.broadcast_to(x, (rows, self.n_items))
        linked = full[self.row_of, self.col_of]
        shared = full[:, self.shared]
        total = np.broadcast_to(x.sum(axis=1), rows) - np.bincount(self.row_of, linked, rows) - shared.sum(axis=1)
        count = np.maximum(self.candidates, 1)
        mean = total / count
        # Squares about the row mean, so large offsets (a popularity floor) cost no precision.
        if x.shape[0] == rows:
            deviation = x - mean[:, None]
            squares = np.einsum("ij,ij->i", deviation, deviation)
        else:  # the same values on every row: only the mean differs between rows
            base = x - x.mean()
            squares = (base @ base.T).ravel() + self.n_items * (x.mean() - mean) ** 2
        linked_dev = linked - mean[self.row_of]
        shared_dev = shared - mean[:, None]
        squares = squares - np.bincount(self.row_of, linked_dev**2, rows) - (shared_dev**2).sum(axis=1)
        return mean, np.sqrt(np.maximum(squares, 0.0) / count)


def _signal(fn: Signal, rows: np.ndarray) -> np.ndarray:
    return np.atleast_2d(np.asarray(fn(rows), dtype=np.float64))


def signal_stack(
    signals: dict[str, Signal], rows: np.ndarray, known: sp.csr_matrix, extra_excluded: np.ndarray | None = None
) -> np.ndarray:
    """(n_signals, batch, n_items) per-row standardised signal scores (0.0 where excluded)."""
    exclusions = Exclusions(known, rows, extra_excluded)
    stack = np.empty((len(signals), len(rows), known.shape[1]))
    for i, fn in enumerate(signals.values()):
        x = _signal(fn, rows)
        mean, std = exclusions.moments(x)
        stack[i] = (x - mean[:, None]) / np.maximum(std, 1e-9)[:, None]
        exclusions.zero(stack[i])
    return stack


class LinearBlend:
    def __init__(self, names: list[str], weights: np.ndarray):
        self.names = list(names)
        self.weights = np.asarray(weights, dtype=np.float64)

    def as_dict(self) -> dict[str, float]:
        return {name: float(w) for name, w in zip(self.names, self.weights, strict=True)}

    def scorer(
        self, signals: dict[str, Signal], known: sp.csr_matrix, extra_excluded: np.ndarray | None = None
    ) -> Signal:
        def score(rows: np.ndarray) -> np.ndarray:
            # sum_s w_s (x_s - mean_s) / std_s, accumulated one signal at a time: the same
            # values as weighting `signal_stack`, without holding every signal at once. The
            # mean comes off before scaling, so a constant row (std 0) adds exactly nothing.
            rows = np.asarray(rows)
            exclusions = Exclusions(known, rows, extra_excluded)
            total = np.zeros((len(rows), known.shape[1]))
            for weight, fn in zip(self.weights, signals.values(), strict=True):
                x = _signal(fn, rows)
                mean, std = exclusions.moments(x)
                if x.shape == total.shape and x.base is None and x.flags.writeable:
                    x -= mean[:, None]  # a fresh array of the signal's: worked on in place
                else:
                    x = x - mean[:, None]
                x *= (weight / np.maximum(std, 1e-9))[:, None]
                total += x
            exclusions.zero(total)
            return total

        return score


def fit_blend(
    signals: dict[str, Signal],
    rows: np.ndarray,
    targets: list[np.ndarray],
    known: sp.csr_matrix,
    seed: int = 0,
    hard_per_signal: int = 20,
    random_negatives: int = 20,
    extra_excluded: np.ndarray | None = None,
    batch: int = 250,
) -> LinearBlend:
    """Fit blend weights on validation queries `rows` whose hidden items are `targets`."""
    rng = np.random.default_rng([seed, 11])
    features, labels = [], []
    for start in range(0, len(rows), batch):
        block = rows[start : start + batch]
        stack = signal_stack(signals, block, known, extra_excluded)
        excluded = Exclusions(known, block, extra_excluded).dense()
        n_items = stack.shape[2]
        for i in range(len(block)):
            positives = set(int(t) for t in targets[start + i])
            pool: set[int] = set()
            for s in range(stack.shape[0]):
                row = np.where(excluded[i], -np.inf, stack[s, i])
                pool.update(int(c) for c in np.argpartition(-row, hard_per_signal)[:hard_per_signal])
            pool.update(int(c) for c in rng.integers(0, n_items, random_negatives))
            candidates = [c for c in pool if not excluded[i, c] and c not in positives]
            chosen = sorted(positives) + sorted(candidates)
            features.append(stack[:, i, chosen].T)
            labels.append(np.r_[np.ones(len(positives)), np.zeros(len(candidates))])
    X, y = np.vstack(features), np.concatenate(labels)
    model = LogisticRegression(C=1.0, max_iter=1000).fit(X, y)
    return LinearBlend(list(signals.keys()), model.coef_.ravel())
