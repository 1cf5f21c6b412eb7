"""Process metrics as model inputs: one row per project, aligned to a given list of ids.

`project_signals(driver, database, project_ids)` returns
- `features` (n, len(FEATURE_NAMES)), float32: recent git activity, DORA figures and
  MLflow runs per week,
  log-scaled where they span orders of magnitude, 0 where unknown, with a presence flag
  per source so "no data" is never read as "zero activity";
- `outcomes` (n, len(OUTCOME_NAMES)), float32, NaN where unknown: change failure rate
  and time to restore, signals of how a project fares that a model may learn to predict
  next to (or in place of) the success label.

Everything is measured up to `as_of` (default now). When a model is trained on labels
decided at some date, pass that date: metrics from after it would leak the outcome.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import neo4j
import numpy as np

from maestro_graph.db.values import native
from maestro_graph.integrations import dora
from maestro_graph.repositories import deployments, metric_series

FEATURE_NAMES = (
    "git_present",
    "commits_per_week",
    "authors_per_week",
    "log_churn_per_week",
    "bus_factor",
    "collaboration",
    "dora_present",
    "deployments_per_day",
    "log_lead_time_hours",
    "change_failure_rate",
    "log_time_to_restore_hours",
    "mlflow_present",
    "mlflow_runs_per_week",
)
OUTCOME_NAMES = ("change_failure_rate", "time_to_restore_hours")
_AVERAGED = ("commits", "authors", "churn")  # noisy week to week: averaged over the recent weeks
_LATEST = ("bus_factor", "collaboration")  # already computed over a trailing window
# Experiment tracking (`import-mlflow`): how often the project trains. The best metric is left
# out: one project's AUC and another's loss are not on one scale.
_MLFLOW = ("mlflow_runs",)


@dataclass(frozen=True)
class ProjectSignals:
    project_ids: list[str]
    features: np.ndarray
    outcomes: np.ndarray
    feature_names: tuple[str, ...] = FEATURE_NAMES
    outcome_names: tuple[str, ...] = OUTCOME_NAMES


def project_signals(
    driver: neo4j.Driver,
    database: str,
    project_ids: list[str],
    as_of: datetime | None = None,
    recent_weeks: int = 12,
    dora_window_days: int = 90,
) -> ProjectSignals:
    as_of = as_of or datetime.now(UTC)
    index = {project_id: i for i, project_id in enumerate(project_ids)}
    features = np.zeros((len(project_ids), len(FEATURE_NAMES)), dtype=np.float32)
    outcomes = np.full((len(project_ids), len(OUTCOME_NAMES)), np.nan, dtype=np.float32)
    column = {name: i for i, name in enumerate(FEATURE_NAMES)}

    recent = metric_series.recent_values(
        driver, database, project_ids, list(_AVERAGED + _LATEST + _MLFLOW), as_of=as_of, weeks=recent_weeks
    )
    for record in recent:
        row, name, values = index[record["id"]], record["name"], record["values"]
        if name in _MLFLOW:
            features[row, column["mlflow_present"]] = 1.0
            features[row, column["mlflow_runs_per_week"]] = float(np.mean(values))
            continue
        features[row, column["git_present"]] = 1.0
        if name in _AVERAGED:
            mean = float(np.mean(values))
            target = {"commits": "commits_per_week", "authors": "authors_per_week", "churn": "log_churn_per_week"}[name]
            features[row, column[target]] = math.log1p(mean) if name == "churn" else mean
        else:
            features[row, column[name]] = float(values[0])

    since = dora.window_start(as_of, dora_window_days)
    by_project: dict[str, list[dict]] = {}
    for record in deployments.dora_deployment_rows(driver, database, project_ids, since, as_of):
        by_project.setdefault(record["id"], []).append(record)
    for project_id, rows in by_project.items():
        row = index[project_id]
        figures = dora.compute(dora.from_rows(rows, native), as_of, dora_window_days)
        features[row, column["dora_present"]] = 1.0
        features[row, column["deployments_per_day"]] = figures.deployment_frequency
        if figures.lead_time_hours is not None:
            features[row, column["log_lead_time_hours"]] = math.log1p(figures.lead_time_hours)
        if figures.change_failure_rate is not None:
            features[row, column["change_failure_rate"]] = figures.change_failure_rate
            outcomes[row, 0] = figures.change_failure_rate
        if figures.time_to_restore_hours is not None:
            features[row, column["log_time_to_restore_hours"]] = math.log1p(figures.time_to_restore_hours)
            outcomes[row, 1] = figures.time_to_restore_hours
    return ProjectSignals(list(project_ids), features, outcomes)
