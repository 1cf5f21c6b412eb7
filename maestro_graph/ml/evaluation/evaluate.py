"""Run the held-out protocol for the baselines and the model in one run.

Baselines train on their own split's training graph, as the protocol states;
the strong ones (EASE, RP3beta, co-membership, gradient-boosted trees) pick
their hyper-parameters on a validation split carved from that training graph
(`tuning`), never from the test targets.
The model trains once on a graph with *all three* splits' hidden edges and
labels removed (so one fit serves every task and no test target is visible to
any part of it); each task is then ranked against its own split's known edges.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum

import numpy as np

from maestro_graph.ml.evaluation import baselines, protocol, seed_summary, tuning
from maestro_graph.ml.evaluation.co_membership import CoMembership
from maestro_graph.ml.evaluation.item_models import EASE, RP3beta
from maestro_graph.ml.evaluation.outcome_trees import OutcomeTrees
from maestro_graph.ml.inductive_outcome import fit_outcome_model
from maestro_graph.ml.text_embedding import Embedder, MiniLMEmbedder
from maestro_graph.ml.training.features import text_vectors
from maestro_graph.ml.training.maestro_model import MaestroModel, ModelConfig
from maestro_graph.ml.usage_graph import UsageGraph


class _Packaged(Enum):
    """The default of `evaluate`'s embedder: the packaged MiniLM, loaded only when used."""

    MINILM = "minilm"


def evaluate(
    graph: UsageGraph,
    seed: int = 0,
    embedder: Embedder | _Packaged | None = _Packaged.MINILM,
    cache_dir=None,
    config: ModelConfig | None = None,
    n_queries: int = protocol.TEST_QUERIES,
    top_impact: int = 10,
    with_model: bool = True,
) -> dict:
    """Nested figures: results[task][method][metric], plus timings, the baselines' chosen
    hyper-parameters, blend weights and top impacts.

    `embedder` defaults to the packaged MiniLM; pass None to use no text at all.
    `with_model=False` measures the baselines and the served outcome model only (no text
    embedding, no network fit).
    """
    results: dict = {"artifacts": {}, "team": {}, "outcome": {}, "timings": {}, "hyper_parameters": {}}

    art = protocol.artifact_split(graph, seed, n_queries)
    team = protocol.team_split(graph, seed, n_queries)
    out = protocol.outcome_split(graph, seed)

    t = time.perf_counter()
    results["artifacts"]["popularity"] = protocol.measure_artifacts(art, baselines.ArtifactPopularity(art.train))
    results["artifacts"]["item_knn"] = protocol.measure_artifacts(art, baselines.ItemKNN(art.train))
    results["team"]["popularity"] = protocol.measure_team(team, baselines.PersonPopularity(team.train))
    results["team"]["artifact_overlap"] = protocol.measure_team(team, baselines.ArtifactOverlap(team.train))
    logreg = baselines.OutcomeLogReg(out.train, seed=seed)
    results["outcome"]["logreg"] = protocol.measure_outcome(out, logreg(out.projects))
    results["timings"]["baselines_s"] = time.perf_counter() - t
    _strong_baselines(art, team, out, seed, results)
    # The outcome model `train` serves (inductive: no node of its own, no neighbour's label), on
    # the same split; the network's success head below may use the training labels of a
    # project's neighbours. It needs no text vectors, so it is measured with the baselines.
    t = time.perf_counter()
    served = fit_outcome_model(out.train, seed=seed)
    results["outcome"]["served_inductive"] = protocol.measure_outcome(
        out, served.removal_probability(out.train)[out.projects]
    )
    results["timings"]["served_outcome_s"] = time.perf_counter() - t
    if not with_model:
        return results

    if embedder is _Packaged.MINILM:
        embedder = MiniLMEmbedder()
    config = config or ModelConfig(seed=seed, ablate_network=True)
    config.seed = seed
    t = time.perf_counter()
    project_text, artifact_text = text_vectors(graph, embedder, cache_dir)
    results["timings"]["text_embedding_s"] = time.perf_counter() - t

    joint = graph.with_edges(uses=art.train.uses, members=team.train.members, success=out.train.success)
    t = time.perf_counter()
    model = MaestroModel(config).fit(joint, project_text, artifact_text)
    results["timings"]["model_train_s"] = time.perf_counter() - t
    results["timings"].update({f"model_{k}": v for k, v in model.timings.items()})

    results["artifacts"]["gnn"] = protocol.measure_artifacts(art, model.gnn_artifacts)
    results["team"]["gnn"] = protocol.measure_team(team, model.gnn_people)
    if model.config.blend:
        results["artifacts"]["gnn+blend"] = protocol.measure_artifacts(art, model.artifact_scores)
        results["team"]["gnn+blend"] = protocol.measure_team(team, model.person_scores)
        if model.config.ablate_network:
            # The ablation: the same blend, fitted the same way, without the network's score.
            results["artifacts"]["blend_without_gnn"] = protocol.measure_artifacts(art, model.classic_artifact_scores)
            results["team"]["blend_without_gnn"] = protocol.measure_team(team, model.classic_person_scores)
        results["blend_weights"] = {task: b.as_dict() for task, b in model.blends.items()}
    results["outcome"]["gnn+success_head"] = protocol.measure_outcome(out, model.removal_probability(out.projects))

    t = time.perf_counter()
    impact = model.artifact_impact()
    results["timings"]["impact_s"] = time.perf_counter() - t
    order = np.argsort(-impact, kind="stable")
    results["impact_top"] = [(graph.artifact_ids[i], float(impact[i])) for i in order[:top_impact]]
    results["impact_bottom"] = [(graph.artifact_ids[i], float(impact[i])) for i in order[::-1][:top_impact]]
    results["validation_history"] = model.trained.history
    results["_model"] = model
    return results


def evaluate_seeds(
    graph: UsageGraph, seeds: list[int], on_run: Callable[[int, dict], None] | None = None, **options
) -> dict:
    """`evaluate` once per seed (a fresh split, tuning and fit each time), with the mean and
    standard deviation of every figure (see `seed_summary.over_seeds`); `options` go to `evaluate`."""

    def run(seed: int) -> dict:
        result = evaluate(graph, seed=seed, **options)
        result.pop("_model", None)  # not data: a summary is printed or dumped as JSON
        return result

    return seed_summary.over_seeds(run, seeds, on_run)


def _strong_baselines(
    art: protocol.ArtifactSplit, team: protocol.TeamSplit, out: protocol.OutcomeSplit, seed: int, results: dict
) -> None:
    """EASE, RP3beta, co-membership and trees: tuned on their split's training graph, then measured."""
    t = time.perf_counter()
    ease = tuning.tune_ease(art.train, seed)
    results["artifacts"]["ease"] = protocol.measure_artifacts(art, EASE(art.train, **ease.params))
    rp3 = tuning.tune_rp3beta(art.train, seed)
    results["artifacts"]["rp3beta"] = protocol.measure_artifacts(art, RP3beta(art.train, **rp3.params))
    results["timings"]["item_models_s"] = time.perf_counter() - t

    t = time.perf_counter()
    co = tuning.tune_co_membership(team.train, seed)
    results["team"]["co_membership"] = protocol.measure_team(team, CoMembership(team.train, **co.params))
    results["timings"]["co_membership_s"] = time.perf_counter() - t

    t = time.perf_counter()
    trees = tuning.tune_outcome_trees(out.train, seed)
    fitted = OutcomeTrees(out.train, seed=seed, **trees.params)
    results["outcome"]["trees"] = protocol.measure_outcome(out, fitted(out.projects))
    results["timings"]["trees_s"] = time.perf_counter() - t
    tuned = {"ease": ease, "rp3beta": rp3, "co_membership": co, "trees": trees}
    results["hyper_parameters"] = {name: found.params for name, found in tuned.items()}


_PRIMARY = {"artifacts": ("recall@10", "ndcg@10"), "team": ("hit@10", "mrr"), "outcome": ("roc_auc", "ap")}


def render_markdown(results: dict) -> str:
    """The per-task figures as a markdown table (best value of each metric in bold)."""
    lines = ["| task | method | metric 1 | metric 2 |", "| --- | --- | --- | --- |"]
    for task, (m1, m2) in _PRIMARY.items():
        methods = results.get(task, {})
        best1 = max((v[m1] for v in methods.values() if not np.isnan(v[m1])), default=np.nan)
        for name, figures in methods.items():
            cells = []
            for metric, best in ((m1, best1), (m2, None)):
                text = f"{metric} {figures[metric]:.3f}"
                cells.append(f"**{text}**" if best is not None and figures[metric] == best else text)
            lines.append(f"| {task} | {name} | {cells[0]} | {cells[1]} |")
    base = results.get("outcome", {}).get("logreg", {}).get("base_rate")
    if base is not None:
        lines.append(f"\nOutcome test base rate (removed): {base:.3f}")
    if results.get("hyper_parameters"):
        lines.append(f"\nBaseline settings (chosen on training data only): {render_settings(results)}")
    return "\n".join(lines)


def render_settings(results: dict) -> str:
    """The strong baselines' chosen hyper-parameters on one line, e.g. `ease l2=200`."""
    return "; ".join(
        f"{method} " + " ".join(f"{name}={value:g}" for name, value in params.items())
        for method, params in results.get("hyper_parameters", {}).items()
    )
