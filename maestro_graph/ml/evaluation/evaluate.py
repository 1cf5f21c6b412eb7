"""Run the held-out protocol for the baselines and the model in one run.

Baselines train on their own split's training graph, as the protocol states.
The model trains once on a graph with *all three* splits' hidden edges and
labels removed (so one fit serves every task and no test target is visible to
any part of it); each task is then ranked against its own split's known edges.
"""

from __future__ import annotations

import time
from enum import Enum

import numpy as np

from maestro_graph.ml.evaluation import baselines, protocol
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
) -> dict:
    """Nested figures: results[task][method][metric], plus timings, blend weights and top impacts.

    `embedder` defaults to the packaged MiniLM; pass None to use no text at all.
    """
    if embedder is _Packaged.MINILM:
        embedder = MiniLMEmbedder()
    config = config or ModelConfig(seed=seed)
    config.seed = seed
    results: dict = {"artifacts": {}, "team": {}, "outcome": {}, "timings": {}}

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
    return "\n".join(lines)
