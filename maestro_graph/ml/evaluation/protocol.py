"""The seeded held-out protocol: three splits and how a scorer is measured on each.

- Artifact recommendation: among projects with >= 4 USES edges pick up to 2,000;
  hide round(30%) (at least 1) of each one's USES edges.
- Team recommendation: among projects with >= 2 members of kind person pick up
  to 2,000; hide one such member each.
- Outcome: hold out a random 20% of the labelled projects' outcomes.

Each split carries the training graph (hidden edges or labels removed) and the
test targets. A scorer returns a dense (batch, n_items) score matrix for a batch
of project indices; items already linked to the project in training are
excluded from the ranking here, so no scorer can forget to do it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from maestro_graph.ml.evaluation import ranking_metrics
from maestro_graph.ml.usage_graph import UsageGraph, known_matrix

TEST_QUERIES = 2000
HIDE_FRACTION = 0.3
MIN_USES = 4
MIN_PERSON_MEMBERS = 2
OUTCOME_TEST_FRACTION = 0.2
K = 10

Scorer = Callable[[np.ndarray], np.ndarray]


@dataclass
class ArtifactSplit:
    train: UsageGraph
    projects: np.ndarray  # test project indices
    hidden: list[np.ndarray]  # hidden artifact indices per test project


@dataclass
class TeamSplit:
    train: UsageGraph
    projects: np.ndarray
    hidden: np.ndarray  # one hidden person index per test project


@dataclass
class OutcomeSplit:
    train: UsageGraph
    projects: np.ndarray  # projects whose outcome is hidden
    removed: np.ndarray  # 1 when the project was removed (success == 0)


def _round_half_up(value: float) -> int:
    return int(np.floor(value + 0.5))


def artifact_split(
    graph: UsageGraph,
    seed: int = 0,
    n_queries: int = TEST_QUERIES,
    fraction: float = HIDE_FRACTION,
    min_uses: int = MIN_USES,
) -> ArtifactSplit:
    rng = np.random.default_rng([seed, 1])
    uses = graph.uses
    degree = np.bincount(uses[:, 0], minlength=graph.num_projects)
    eligible = np.flatnonzero(degree >= min_uses)
    chosen = np.sort(rng.choice(eligible, size=min(n_queries, len(eligible)), replace=False))
    # Edge positions grouped by project, in the graph's own (sorted) order.
    order = np.argsort(uses[:, 0], kind="stable")
    starts = np.concatenate([[0], np.cumsum(degree)])
    hide_mask = np.zeros(len(uses), dtype=bool)
    hidden = []
    for project in chosen:
        positions = order[starts[project] : starts[project + 1]]
        n_hide = max(1, _round_half_up(fraction * len(positions)))
        picked = np.sort(rng.choice(positions, size=n_hide, replace=False))
        hide_mask[picked] = True
        hidden.append(np.sort(uses[picked, 1]))
    train = graph.with_edges(uses=uses[~hide_mask])
    return ArtifactSplit(train=train, projects=chosen, hidden=hidden)


def team_split(
    graph: UsageGraph, seed: int = 0, n_queries: int = TEST_QUERIES, min_members: int = MIN_PERSON_MEMBERS
) -> TeamSplit:
    rng = np.random.default_rng([seed, 2])
    members = graph.members
    is_person = ~graph.person_is_team[members[:, 0]]
    person_count = np.bincount(members[is_person, 1], minlength=graph.num_projects)
    eligible = np.flatnonzero(person_count >= min_members)
    chosen = np.sort(rng.choice(eligible, size=min(n_queries, len(eligible)), replace=False))
    order = np.argsort(members[:, 1], kind="stable")
    degree = np.bincount(members[:, 1], minlength=graph.num_projects)
    starts = np.concatenate([[0], np.cumsum(degree)])
    hide_mask = np.zeros(len(members), dtype=bool)
    hidden = np.zeros(len(chosen), dtype=np.int64)
    for row, project in enumerate(chosen):
        positions = order[starts[project] : starts[project + 1]]
        positions = positions[is_person[positions]]
        picked = rng.choice(positions)
        hide_mask[picked] = True
        hidden[row] = members[picked, 0]
    train = graph.with_edges(members=members[~hide_mask])
    return TeamSplit(train=train, projects=chosen, hidden=hidden)


def outcome_split(graph: UsageGraph, seed: int = 0, fraction: float = OUTCOME_TEST_FRACTION) -> OutcomeSplit:
    rng = np.random.default_rng([seed, 3])
    labelled = np.flatnonzero(~np.isnan(graph.success))
    n_test = _round_half_up(fraction * len(labelled))
    chosen = np.sort(rng.choice(labelled, size=n_test, replace=False))
    success = graph.success.copy()
    removed = (success[chosen] == 0).astype(np.int64)
    success[chosen] = np.nan
    return OutcomeSplit(train=graph.with_edges(success=success), projects=chosen, removed=removed)


def _mask_known(scores: np.ndarray, known: sp.csr_matrix, rows: np.ndarray) -> np.ndarray:
    scores = np.array(scores, dtype=np.float64, copy=True)
    block = known[rows].tocoo()
    scores[block.row, block.col] = -np.inf
    return scores


def rank_artifacts(train: UsageGraph, scorer: Scorer, projects: np.ndarray, k: int = K, batch: int = 500) -> np.ndarray:
    """Top-k artifacts per project, excluding artifacts the project already uses in `train`."""
    known = known_matrix(train.uses, train.num_projects, train.num_artifacts)
    ranked = []
    for start in range(0, len(projects), batch):
        rows = projects[start : start + batch]
        ranked.append(ranking_metrics.top_k(_mask_known(scorer(rows), known, rows), k))
    return np.concatenate(ranked) if ranked else np.zeros((0, k), dtype=np.int64)


def person_ranks(
    train: UsageGraph, scorer: Scorer, projects: np.ndarray, targets: np.ndarray, batch: int = 500
) -> np.ndarray:
    """Rank of each target person for its project among people of kind person who are not
    already members in `train` (the hidden member is always of kind person, so teams are
    not candidates)."""
    known = known_matrix(train.members[:, ::-1], train.num_projects, train.num_people)
    ranks = []
    for start in range(0, len(projects), batch):
        rows = projects[start : start + batch]
        scores = _mask_known(scorer(rows), known, rows)
        scores[:, train.person_is_team] = -np.inf
        ranks.append(ranking_metrics.target_ranks(scores, targets[start : start + batch]))
    return np.concatenate(ranks) if ranks else np.zeros(0, dtype=np.int64)


def measure_artifacts(split: ArtifactSplit, scorer: Scorer, k: int = K) -> dict[str, float]:
    ranked = rank_artifacts(split.train, scorer, split.projects, k)
    return {
        f"recall@{k}": ranking_metrics.recall_at_k(ranked, split.hidden, k),
        f"ndcg@{k}": ranking_metrics.ndcg_at_k(ranked, split.hidden, k),
    }


def measure_team(split: TeamSplit, scorer: Scorer, k: int = K) -> dict[str, float]:
    ranks = person_ranks(split.train, scorer, split.projects, split.hidden)
    return {f"hit@{k}": ranking_metrics.hit_rate_at_k(ranks, k), "mrr": ranking_metrics.mean_reciprocal_rank(ranks)}


def measure_outcome(split: OutcomeSplit, removal_scores: np.ndarray) -> dict[str, float]:
    """`removal_scores` are per test project (aligned with split.projects): higher = more likely removed."""
    return {
        "roc_auc": ranking_metrics.roc_auc(split.removed, removal_scores),
        "ap": ranking_metrics.average_precision(split.removed, removal_scores),
        "base_rate": float(np.mean(split.removed)) if len(split.removed) else float("nan"),
    }
