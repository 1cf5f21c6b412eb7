"""`maestro-graph evaluate --forward TRAIN TEST`: fit on one snapshot, predict another.

The outcome model and the tree baseline are both fit on the train graph with its outcomes,
then score the test graph, which was loaded without any outcome; the test outcomes are read
apart and used only to measure. Beside them, the ablation: the model's input groups taken
away one at a time, fit and scored the same way in the same run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from maestro_graph.ml.evaluation import ranking_metrics
from maestro_graph.ml.evaluation.seed_summary import over_seeds
from maestro_graph.ml.inductive_outcome import TREE_BASELINE, OutcomeSpec, fit_outcome_model
from maestro_graph.ml.usage_graph import UsageGraph

# Name of each variant in the tables -> what the trees get. "model" is the served outcome model;
# the first two are always measured, the rest with --ablation.
VARIANTS: dict[str, OutcomeSpec] = {
    "model": OutcomeSpec(),
    "trees": TREE_BASELINE,
    "model without words": OutcomeSpec(views=("dependencies",)),
    "model without dependencies": OutcomeSpec(views=("words",)),
    "model with tags": OutcomeSpec(tags=True),
    "structure alone": OutcomeSpec(views=(), tags=False),
}


HEADLINE = ("model", "trees")


def test_labels(test: UsageGraph, outcomes: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Rows of `test` that have a known outcome, and 1 where removed."""
    rows = [i for i, pid in enumerate(test.project_ids) if pid in outcomes]
    removed = np.array([outcomes[test.project_ids[i]] == 0 for i in rows], dtype=np.int64)
    return np.array(rows, dtype=np.int64), removed


def forward_run(
    train: UsageGraph,
    test: UsageGraph,
    outcomes: dict[str, float],
    seed: int,
    variants: Sequence[str] = tuple(VARIANTS),
) -> dict:
    """One seed: {"outcome": {variant: {roc_auc, ap, base_rate}}}, plus the model's test scores."""
    if not np.isnan(test.success).all():
        raise ValueError("the test graph carries outcomes: they may only be used for scoring")
    rows, removed = test_labels(test, outcomes)
    figures: dict[str, dict[str, float]] = {}
    scores: dict[str, np.ndarray] = {}
    view_cache: dict = {}  # every variant of this seed fits the same views: once
    for name in variants:
        model = fit_outcome_model(train, spec=VARIANTS[name], seed=seed, view_cache=view_cache)
        scores[name] = model.removal_probability(test)
        figures[name] = {
            "roc_auc": ranking_metrics.roc_auc(removed, scores[name][rows]),
            "ap": ranking_metrics.average_precision(removed, scores[name][rows]),
            "base_rate": float(removed.mean()) if len(removed) else float("nan"),
        }
    return {"outcome": figures, "test_projects_scored": len(rows), "_scores": scores}


def forward_evaluation(
    train: UsageGraph,
    test: UsageGraph,
    outcomes: dict[str, float],
    seeds: Sequence[int],
    variants: Sequence[str] = tuple(VARIANTS),
    on_run: Callable[[int, dict], None] | None = None,
) -> dict:
    """`over_seeds` of `forward_run`: every seed's figures and their mean and spread."""
    return over_seeds(lambda seed: forward_run(train, test, outcomes, seed, variants), seeds, on_run)
