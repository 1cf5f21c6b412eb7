"""`maestro-graph train`: fit the models on the whole graph in Neo4j and publish their
answers (recommendations, suggested people, outcome and impact predictions) as new
model versions, so requests read precomputed results and never run a model.

What is fit is what the held-out protocol shows best (README, "What carries each task"):
blends of classic signals for the two link tasks (`link_blends.ClassicLinkModel`) and the
inductive outcome model, which also gives the artifacts' impact."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import neo4j
import numpy as np
import scipy.sparse as sp

from maestro_graph.integrations.project_signals import FEATURE_NAMES, project_signals
from maestro_graph.iterables import produced_ahead
from maestro_graph.ml.evaluation.baselines import item_cosine, usage_matrix
from maestro_graph.ml.serving.outcome_versions import fit_outcome_version
from maestro_graph.ml.serving.publish import TaskResult, publish
from maestro_graph.ml.sparse_values import sorted_csr, values
from maestro_graph.ml.text_embedding import CachingEmbedder, Embedder
from maestro_graph.ml.training.features import text_vectors
from maestro_graph.ml.training.graph_export import export_usage_graph
from maestro_graph.ml.training.link_blends import ClassicLinkModel, catalogue_members, catalogue_uses
from maestro_graph.ml.training.node_embeddings import embed_nodes
from maestro_graph.ml.training.success import impact_from_changes
from maestro_graph.ml.usage_graph import UsageGraph, known_matrix

TOP_K = 20
BECAUSE = 3
# Projects scored at once. Each signal is a (batch x artifacts) float64 array: with 192 rows
# and some 18k artifacts that stays under glibc's 32 MB mmap ceiling, so freed arrays are
# reused instead of mapped and faulted in afresh for every signal.
BATCH = 192

Progress = Callable[[str], None]

log = logging.getLogger("maestro_graph.train")
# Embedding progress is logged about this often (texts), so a long first run shows it is moving.
_EMBED_LOG_EVERY = 4096


@dataclass
class TrainReport:
    versions: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    validation: dict = field(default_factory=dict)  # see ClassicLinkModel.validation_figures


def _top_k(scores: np.ndarray, excluded: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row: indices and scores of the k best items not excluded, best first."""
    scores = np.where(excluded, -np.inf, scores)
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-part_scores, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(part_scores, order, axis=1)


def _because(cosine: sp.csr_matrix, uses: sp.csr_matrix, projects: np.ndarray, items: np.ndarray) -> list[list[int]]:
    """For each project's recommended items (a row of `items`), per item: up to BECAUSE of the
    project's used artifacts most often co-used with it, strongest first (ties: lower index)."""
    per_project = items.shape[1]
    # One (recommendation, used artifact) pair per artifact its project uses, every pair's
    # cosine looked up at once: a project uses a handful of artifacts, so the pairs are few,
    # where multiplying the recommendations' whole cosine rows cost as many as their co-users.
    used = sp.csr_matrix(uses[projects])
    used.sort_indices()
    per_recommendation = np.repeat(np.diff(used.indptr), per_project)
    recommendation = np.repeat(np.arange(items.size), per_recommendation)
    first_pair = np.cumsum(per_recommendation) - per_recommendation
    project_row = recommendation // per_project
    artifact = used.indices[used.indptr[project_row] + np.arange(len(recommendation)) - first_pair[recommendation]]
    strength = values(cosine, items.ravel()[recommendation], artifact)
    positive = strength > 0
    recommendation, artifact, strength = recommendation[positive], artifact[positive], strength[positive]
    order = np.lexsort((artifact, -strength, recommendation))
    recommendation, artifact = recommendation[order], artifact[order]
    rank = np.arange(len(recommendation)) - np.searchsorted(recommendation, recommendation, side="left")
    kept = rank < BECAUSE
    counts = np.bincount(recommendation[kept], minlength=items.size)
    return [part.tolist() for part in np.split(artifact[kept], np.cumsum(counts)[:-1])]


def artifact_rows(graph: UsageGraph, model: ClassicLinkModel, k: int = TOP_K) -> Iterator[list[dict]]:
    """Top-k artifacts per project that uses at least one, with the used artifacts most
    often co-used with each recommendation as its `because`; the rows of BATCH projects at a time."""
    uses = known_matrix(graph.uses, graph.num_projects, graph.num_artifacts).tocsr()
    used_in_catalogue = catalogue_uses(graph, model.catalogue)
    cosine = sorted_csr(item_cosine(usage_matrix(graph)))
    active = np.flatnonzero(np.diff(uses.indptr) > 0)
    for start in range(0, len(active), BATCH):
        rows = []
        block = active[start : start + BATCH]
        scores = np.asarray(model.catalogue_scores(block), dtype=np.float64)
        excluded = used_in_catalogue[block].toarray().astype(bool)
        columns, top_scores = _top_k(scores, excluded, k)
        top = model.catalogue[columns]
        reasons = iter(_because(cosine, uses, block, top))
        for project, items, item_scores in zip(block, top, top_scores, strict=True):
            for rank, (item, score) in enumerate(zip(items, item_scores, strict=True), start=1):
                because = next(reasons)
                if not np.isfinite(score):
                    continue  # the project uses (nearly) every artifact: fewer than k to offer
                rows.append(
                    {
                        "project": graph.project_ids[project],
                        "item": graph.artifact_ids[item],
                        "rank": rank,
                        "score": float(score),
                        "because": [graph.artifact_ids[b] for b in because],
                    }
                )
        yield rows


def team_rows(graph: UsageGraph, model: ClassicLinkModel, k: int = TOP_K) -> Iterator[list[dict]]:
    """Top-k people (kind person, not yet members) per project that has any member or use; the
    rows of BATCH projects at a time."""
    members = catalogue_members(graph, model.people)
    has_links = np.zeros(graph.num_projects, dtype=bool)
    has_links[graph.members[:, 1]] = True
    has_links[graph.uses[:, 0]] = True
    active = np.flatnonzero(has_links)
    for start in range(0, len(active), BATCH):
        rows = []
        block = active[start : start + BATCH]
        scores = np.asarray(model.people_catalogue_scores(block), dtype=np.float64)
        excluded = members[block].toarray().astype(bool)
        columns, top_scores = _top_k(scores, excluded, k)
        top = model.people[columns]
        for project, items, item_scores in zip(block, top, top_scores, strict=True):
            for rank, (item, score) in enumerate(zip(items, item_scores, strict=True), start=1):
                if np.isfinite(score):
                    rows.append(
                        {
                            "project": graph.project_ids[project],
                            "item": graph.person_ids[item],
                            "rank": rank,
                            "score": float(score),
                        }
                    )
        yield rows


def _streamed(blocks: Iterator[list[dict]]) -> Iterator[dict]:
    """The rows of `blocks`, each block scored in a thread while the rows before it are written."""
    for block in produced_ahead(blocks):
        yield from block


def train_and_publish(
    driver: neo4j.Driver,
    database: str,
    embedder: Embedder,
    seed: int = 0,
    progress: Progress = lambda _: None,
    validation_queries: int = 1000,
) -> TrainReport:
    """Fit the models on the graph and publish every task's answers. `validation_queries`: how
    many projects per link task the blend weights are fit on (fewer on a small graph)."""
    report = TrainReport()
    # Reuses (and extends) the on-disk vector cache, so retraining re-embeds only new text.
    cached = CachingEmbedder(embedder)

    def timed(name: str, work):
        progress(name)
        log.info("training step started", extra={"step": name})
        started = time.perf_counter()
        value = work()
        report.timings[name] = round(time.perf_counter() - started, 2)
        log.info("training step done", extra={"step": name, "seconds": report.timings[name]})
        return value

    logged_at: dict[str, int] = {}

    def embedding_progress(label: str, done: int, total: int) -> None:
        progress(f"embed nodes: {label} {done:,} of {total:,}")
        if done == total or done - logged_at.get(label, 0) >= _EMBED_LOG_EVERY:
            logged_at[label] = done
            log.info("embedding texts", extra={"label": label, "done": done, "total": total})

    try:
        timed("embed nodes", lambda: embed_nodes(driver, database, cached, on_progress=embedding_progress))
        graph = timed("export graph", lambda: export_usage_graph(driver, database))
        if graph.num_projects == 0 or len(graph.uses) == 0:
            raise ValueError("the graph has no projects using artifacts: nothing to learn from")
        project_text, artifact_text = timed("text features", lambda: text_vectors(graph, cached, cache_dir=""))
    finally:
        cached.flush()
    signals = timed("process metrics", lambda: project_signals(driver, database, graph.project_ids))
    with_git = int(signals.features[:, FEATURE_NAMES.index("git_present")].sum())
    with_dora = int(signals.features[:, FEATURE_NAMES.index("dora_present")].sum())
    with_mlflow = int(signals.features[:, FEATURE_NAMES.index("mlflow_present")].sum())
    has_process = bool(with_git or with_dora or with_mlflow)
    model = timed(
        "fit link blends",
        lambda: ClassicLinkModel(seed, validation_queries).fit(graph, project_text, artifact_text),
    )
    report.validation = model.validation_figures()
    params = {
        "seed": seed,
        "top_k": TOP_K,
        "projects": graph.num_projects,
        "artifacts": graph.num_artifacts,
        "people": graph.num_people,
        "uses": len(graph.uses),
        "members": len(graph.members),
        "process_metrics": {
            "projects_with_git": with_git,
            "projects_with_dora": with_dora,
            "projects_with_mlflow": with_mlflow,
            "features": list(FEATURE_NAMES) if has_process else [],
        },
    }
    metrics = {"validation": report.validation, "timings": model.timings, "blend_weights": model.blend_weights()}

    # The outcome model is fit before anything is published, so a fit that fails leaves every
    # task's active version as it was. The served outcome model is the inductive one
    # (`ml/inductive_outcome.py`): it needs no per-node parameters, so its file scores other
    # graphs too (`predict`, `models export`). Its own change in each project's success when one
    # artifact it uses is taken out is what `impactOfRemoving` answers with, and what the impact
    # scores summarise.
    named_process = {name: signals.features[:, i].astype(np.float64) for i, name in enumerate(FEATURE_NAMES)}
    outcome, changes = timed(
        "fit and score outcomes", lambda: fit_outcome_version(graph, named_process, seed, params, metrics)
    )
    impact = timed("artifact impact", lambda: impact_from_changes(graph, -changes))
    order = np.argsort(-impact, kind="stable")
    impact_rows = [
        {"item": graph.artifact_ids[i], "score": float(impact[i]), "rank": rank}
        for rank, i in enumerate(order, start=1)
    ]
    # The ranked tasks' rows are written as they are scored: Neo4j stores one block while the
    # next is scored. A version becomes active only once all of its rows are in.
    ranked = {"artifacts": artifact_rows(graph, model), "team": team_rows(graph, model)}
    for task, blocks in ranked.items():
        result = TaskResult(task, _streamed(blocks), metrics, params)
        report.versions[task] = timed(f"score and publish {task}", lambda r=result: publish(driver, database, r))
    results = [outcome, TaskResult("impact", impact_rows, metrics, params)]
    for result in results:
        report.versions[result.task] = timed(f"publish {result.task}", lambda r=result: publish(driver, database, r))
    return report
