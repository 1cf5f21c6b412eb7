"""The served outcome model's versions: fit one for `train`, score a graph with a stored one
(`predict`), and move one between graphs (`models export` / `models import`).

Every path publishes through `publish.publish`, with the same rows: one removal-based
success probability per project of the graph. A version keeps its model file, so the
predictions of any version can be reproduced, or made on another graph, from the graph alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import neo4j
import numpy as np

from maestro_graph.integrations.project_signals import FEATURE_NAMES, project_signals
from maestro_graph.ml.inductive_outcome import InductiveOutcomeModel, fit_outcome_model, training_fingerprint
from maestro_graph.ml.model_file import TASK, ModelFile, ModelFileError, read_model_file, write_model_file
from maestro_graph.ml.serving.publish import TaskResult, new_version, publish
from maestro_graph.ml.training.graph_export import export_usage_graph
from maestro_graph.ml.usage_graph import UsageGraph
from maestro_graph.repositories import model_publishing


class ModelVersionError(ValueError):
    """The version asked for cannot serve: absent, of another task, or without a model file."""


def process_columns(driver: neo4j.Driver, database: str, graph: UsageGraph) -> dict[str, np.ndarray]:
    """Each project's process metrics (git, DORA), one named column per metric."""
    signals = project_signals(driver, database, graph.project_ids)
    return {name: signals.features[:, i].astype(np.float64) for i, name in enumerate(FEATURE_NAMES)}


def outcome_scores(
    graph: UsageGraph, model: InductiveOutcomeModel, process: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Each project's chance of success (not being removed), and per USES edge the change in its
    project's chance when that artifact is taken out (the model's own evaluation,
    `removal_without_each_use`): what `impactOfRemoving` answers with, and what the artifact
    impact scores summarise."""
    removal = model.removal_probability(graph, process)
    changes = removal[graph.uses[:, 0]] - model.removal_without_each_use(graph, process)
    return 1.0 - removal, changes


def outcome_rows(graph: UsageGraph, success: np.ndarray, changes: np.ndarray) -> list[dict]:
    """One row per project: its success probability, and per artifact it uses the change in
    that probability when the artifact is taken out (`without_ids` and `without_changes`, aligned)."""
    by_project: list[list[int]] = [[] for _ in range(graph.num_projects)]
    for edge, project in enumerate(graph.uses[:, 0].tolist()):
        by_project[project].append(edge)
    return [
        {
            "item": pid,
            "score": float(p),
            "without_ids": [graph.artifact_ids[graph.uses[e, 1]] for e in edges],
            "without_changes": [float(changes[e]) for e in edges],
        }
        for pid, p, edges in zip(graph.project_ids, success, by_project, strict=True)
    ]


def fit_outcome_version(
    graph: UsageGraph, process: dict[str, np.ndarray], seed: int, params: dict, metrics: dict
) -> tuple[TaskResult, np.ndarray]:
    """`train`'s outcome task: fit the model on the graph's labels, score every project, and
    carry the model file under the version it will be published as; with the per-use changes
    (`outcome_scores`)."""
    model = fit_outcome_model(graph, process, seed=seed)
    version = new_version(TASK)
    fingerprint = training_fingerprint(graph)
    model_params = {
        "training_fingerprint": fingerprint,
        "features": model.features,
        "views": list(model.views),
        "seed": seed,
    }
    data = write_model_file(
        model,
        version=version,
        fingerprint=fingerprint,
        params={**params, "trained_at": datetime.now(UTC).isoformat()},
    )
    success, changes = outcome_scores(graph, model, process)
    result = TaskResult(
        TASK,
        outcome_rows(graph, success, changes),
        {**metrics, "outcome_model": model.metrics},
        {**params, "outcome_model": model_params},
        version=version,
        model_file=data,
    )
    return result, changes


def stored_model(driver: neo4j.Driver, database: str, version: str | None) -> tuple[str, bytes, ModelFile]:
    """(version, file bytes, parsed file) of `version`, or of the active outcome version."""
    if version is None:
        found = model_publishing.active_model_file(driver, database, TASK)
        if found is None:
            raise ModelVersionError("no outcome model is active: run `train`, or name one with --model")
        version, data = found
    else:
        stored = model_publishing.model_file(driver, database, version)
        if stored is None:
            raise ModelVersionError(f"no model version {version!r} in this graph")
        task, data = stored
        if task != TASK:
            raise ModelVersionError(f"model version {version!r} is of task {task!r}: only outcome models have files")
    if data is None:
        raise ModelVersionError(f"model version {version!r} has no model file (trained before models kept theirs)")
    return version, bytes(data), read_model_file(bytes(data))


@dataclass
class PredictReport:
    version: str  # the new, active outcome version
    model: str  # the version whose model scored it
    projects: int


def predict_and_publish(driver: neo4j.Driver, database: str, model_version: str | None = None) -> PredictReport:
    """Score the graph with a stored model and publish the scores as a new active outcome version."""
    source, data, parsed = stored_model(driver, database, model_version)
    graph = export_usage_graph(driver, database)
    if graph.num_projects == 0:
        raise ModelVersionError("the graph has no projects to score")
    process = process_columns(driver, database, graph)
    params = {
        "model_version": parsed.manifest["version"],
        "scored_with": source,
        "training_fingerprint": parsed.manifest.get("training_fingerprint"),
        "projects": graph.num_projects,
        "seed": parsed.model.seed,
    }
    result = TaskResult(
        TASK,
        outcome_rows(graph, *outcome_scores(graph, parsed.model, process)),
        {"outcome_model": parsed.manifest.get("metrics", {})},
        params,
        model_file=data,
    )
    return PredictReport(publish(driver, database, result), source, graph.num_projects)


def export_model(driver: neo4j.Driver, database: str, version: str) -> bytes:
    """The model file of a stored version, checked readable before it is handed on."""
    _, data, _ = stored_model(driver, database, version)
    return data


def import_model(driver: neo4j.Driver, database: str, data: bytes) -> str:
    """Store a model file as an inactive outcome version named as in its manifest; returns the
    version. Nothing is written unless the whole file reads back as a model."""
    parsed = read_model_file(data)
    version = parsed.manifest["version"]
    if model_publishing.model_file(driver, database, version) is not None:
        raise ModelFileError(f"model version {version!r} is already in this graph")
    manifest_params = parsed.manifest.get("params") or {}
    trained_at = manifest_params.get("trained_at") if isinstance(manifest_params, dict) else None
    try:
        when = datetime.fromisoformat(str(trained_at)).isoformat()
    except ValueError:
        when = datetime.now(UTC).isoformat()
    model_publishing.create_model(
        driver,
        database,
        task=TASK,
        version=version,
        trained_at=when,
        metrics=json.dumps({"outcome_model": parsed.manifest.get("metrics", {})}, sort_keys=True, default=float),
        params=json.dumps(
            {
                "imported": True,
                "training_fingerprint": parsed.manifest.get("training_fingerprint"),
                "features": parsed.manifest["features"],
                "seed": parsed.model.seed,
            },
            sort_keys=True,
        ),
        model_file=data,
    )
    return version
