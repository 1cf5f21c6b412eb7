"""Validation queries and labels carved out of a training graph, for early stopping and for
fitting blend weights, so that nothing fit on them ever sees a test edge or label."""

from __future__ import annotations

from dataclasses import dataclass

from maestro_graph.ml.evaluation import protocol
from maestro_graph.ml.usage_graph import UsageGraph


@dataclass
class Validation:
    """Training graph with validation edges and labels hidden, plus the hidden targets."""

    fit_graph: UsageGraph
    artifacts: protocol.ArtifactSplit
    team: protocol.TeamSplit
    outcome: protocol.OutcomeSplit


def carve_validation(graph: UsageGraph, seed: int, n_queries: int = 1000) -> Validation:
    """Hide validation USES, MEMBER_OF and outcome labels in one graph (seeds differ from the test split)."""
    art = protocol.artifact_split(graph, seed=seed + 1001, n_queries=n_queries)
    team = protocol.team_split(art.train, seed=seed + 1002, n_queries=n_queries)
    out = protocol.outcome_split(team.train, seed=seed + 1003)
    fit_graph = out.train
    # Each split's `train` should be the fully-hidden graph so ranking excludes only fit-time edges.
    art.train, team.train = fit_graph, fit_graph
    return Validation(fit_graph=fit_graph, artifacts=art, team=team, outcome=out)
