"""Hyper-parameters of the strong baselines, chosen on data carved from training only.

Each search is handed the *training graph* of a protocol split, never the split
itself, so the test targets are out of its reach. It carves a validation split
from that graph with the protocol's own split functions (under a seed of its
own), measures every point of a small grid on it with the task's primary metric,
and keeps the best (the first one listed among ties). The returned `Tuned`
carries the validation split so that callers can check where it came from.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from maestro_graph.ml.evaluation import protocol
from maestro_graph.ml.evaluation.co_membership import CoMembership
from maestro_graph.ml.evaluation.item_models import EASE, RP3beta
from maestro_graph.ml.evaluation.outcome_trees import OutcomeTrees, tree_features
from maestro_graph.ml.usage_graph import UsageGraph

VALIDATION_QUERIES = 1000  # half the protocol's test queries: enough to order a grid, and quicker
EASE_GRID: list[dict[str, Any]] = [{"l2": l2} for l2 in (20.0, 50.0, 200.0, 800.0)]
RP3BETA_GRID: list[dict[str, Any]] = [
    {"alpha": a, "beta": b} for a, b in itertools.product((0.6, 0.8, 1.0, 1.2), (0.0, 0.2, 0.4))
]
CO_MEMBERSHIP_GRID: list[dict[str, Any]] = [{"overlap_weight": w} for w in (0.0, 0.02, 0.05, 0.1, 0.2)]
TREES_GRID: list[dict[str, Any]] = [
    {"learning_rate": rate, "max_leaf_nodes": leaves} for rate, leaves in itertools.product((0.01, 0.03, 0.1), (7, 31))
]


@dataclass
class Tuned:
    params: dict[str, Any]
    validation: protocol.ArtifactSplit | protocol.TeamSplit | protocol.OutcomeSplit
    figures: list[tuple[dict[str, Any], float]] = field(default_factory=list)  # grid point, validation figure


def validation_seed(seed: int) -> int:
    """The seed of the validation split: not the test split's, so its queries are drawn afresh."""
    return seed + 1_000_003


def _best(figures: list[tuple[dict[str, Any], float]]) -> dict[str, Any]:
    finite = [(params, value) for params, value in figures if not np.isnan(value)]
    return max(finite, key=lambda pair: pair[1])[0] if finite else figures[0][0]


def tune_artifact_model(
    train: UsageGraph,
    make: Callable[..., protocol.Scorer],
    grid: list[dict[str, Any]],
    seed: int = 0,
    n_queries: int = VALIDATION_QUERIES,
) -> Tuned:
    """Best grid point by Recall@10 on edges hidden from `train`."""
    validation = protocol.artifact_split(train, validation_seed(seed), n_queries)
    figures = [
        (params, protocol.measure_artifacts(validation, make(validation.train, **params))[f"recall@{protocol.K}"])
        for params in grid
    ]
    return Tuned(params=_best(figures), validation=validation, figures=figures)


def tune_ease(train: UsageGraph, seed: int = 0, n_queries: int = VALIDATION_QUERIES) -> Tuned:
    return tune_artifact_model(train, EASE, EASE_GRID, seed, n_queries)


def tune_rp3beta(train: UsageGraph, seed: int = 0, n_queries: int = VALIDATION_QUERIES) -> Tuned:
    return tune_artifact_model(train, RP3beta, RP3BETA_GRID, seed, n_queries)


def tune_co_membership(train: UsageGraph, seed: int = 0, n_queries: int = VALIDATION_QUERIES) -> Tuned:
    """Best artifact-overlap weight by HitRate@10 on members hidden from `train` (MRR breaks ties)."""
    validation = protocol.team_split(train, validation_seed(seed), n_queries)
    figures = []
    for params in CO_MEMBERSHIP_GRID:
        measured = protocol.measure_team(validation, CoMembership(validation.train, **params))
        figures.append((params, measured[f"hit@{protocol.K}"] + 1e-6 * measured["mrr"]))
    return Tuned(params=_best(figures), validation=validation, figures=figures)


def tune_outcome_trees(train: UsageGraph, seed: int = 0) -> Tuned:
    """Best tree settings by ROC-AUC on labels hidden from `train`."""
    validation = protocol.outcome_split(train, validation_seed(seed))
    features = tree_features(validation.train, seed)
    figures = []
    for params in TREES_GRID:
        trees = OutcomeTrees(validation.train, seed=seed, features=features, **params)
        figures.append((params, protocol.measure_outcome(validation, trees(validation.projects))["roc_auc"]))
    return Tuned(params=_best(figures), validation=validation, figures=figures)
