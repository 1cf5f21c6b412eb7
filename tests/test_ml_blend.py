"""The blend standardises each signal over a row's candidates in closed form; these tests hold
it to the plain masked computation it replaces."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from maestro_graph.ml.training.blend import Exclusions, LinearBlend, signal_stack

N_QUERIES, N_ITEMS = 60, 400


def masked_standardise(scores: np.ndarray, excluded: np.ndarray) -> np.ndarray:
    masked = np.where(excluded, np.nan, scores)
    mean = np.nanmean(masked, axis=1, keepdims=True)
    std = np.nanstd(masked, axis=1, keepdims=True)
    return np.where(excluded, 0.0, (scores - mean) / np.maximum(std, 1e-9))


@pytest.fixture
def setting():
    rng = np.random.default_rng(3)
    known = sp.random(100, N_ITEMS, density=0.05, random_state=4, format="lil")
    shared = rng.random(N_ITEMS) < 0.1
    # Rows linked to shared columns too, so the two kinds of exclusion overlap.
    known[:, np.flatnonzero(shared)[:3]] = 1.0
    known = known.tocsr()
    rows = rng.choice(100, N_QUERIES, replace=False)
    values = rng.normal(size=(100, N_ITEMS))
    signals = {
        "large offset": lambda r: values[r] * 3 + 1e4,  # precision: a big mean, a small spread
        "same on every row": lambda r: np.log1p(np.arange(N_ITEMS, dtype=float))[None, :],
        "tiled": lambda r: np.tile(np.arange(N_ITEMS) % 7, (len(r), 1)).astype(float),
        "constant": lambda r: np.ones((len(r), N_ITEMS)),
    }
    return known, shared, rows, signals


@pytest.mark.parametrize("with_shared", [False, True])
def test_exclusions_match_the_dense_mask(setting, with_shared):
    known, shared, rows, _ = setting
    extra = shared if with_shared else None
    expected = np.asarray(known[rows].todense()) > 0
    if with_shared:
        expected |= shared[None, :]
    exclusions = Exclusions(known, rows, extra)
    assert (exclusions.dense() == expected).all()
    assert (exclusions.candidates == (~expected).sum(axis=1)).all()


@pytest.mark.parametrize("with_shared", [False, True])
def test_standardised_signals_equal_the_masked_computation(setting, with_shared):
    known, shared, rows, signals = setting
    extra = shared if with_shared else None
    excluded = Exclusions(known, rows, extra).dense()
    stack = signal_stack(signals, rows, known, extra)
    for i, fn in enumerate(signals.values()):
        full = np.broadcast_to(fn(rows), (len(rows), N_ITEMS)).astype(float)
        np.testing.assert_allclose(stack[i], masked_standardise(full, excluded), atol=1e-8)


@pytest.mark.parametrize("with_shared", [False, True])
def test_blended_scores_equal_the_weighted_stack(setting, with_shared):
    known, shared, rows, signals = setting
    extra = shared if with_shared else None
    weights = np.array([0.7, -1.3, 2.0, 0.5])
    scores = LinearBlend(list(signals), weights).scorer(signals, known, extra)(rows)
    expected = np.tensordot(weights, signal_stack(signals, rows, known, extra), axes=1)
    np.testing.assert_allclose(scores, expected, atol=1e-8)
    assert (scores[Exclusions(known, rows, extra).dense()] == 0.0).all()
