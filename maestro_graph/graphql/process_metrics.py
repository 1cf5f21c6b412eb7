"""GraphQL for process metrics: `Project.metrics` (latest weekly values from git),
`Project.metricSeries(name, from, to)` and `Project.dora(window, until)`.

Each field gathers the projects of one request tick into one query, like the
relationship fields do, through the request's `Loaders.metrics`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING

import strawberry
from strawberry.types import Info

from maestro_graph.db.values import native
from maestro_graph.domain import InvalidInput
from maestro_graph.graphql.vocabularies import vocabulary_enum
from maestro_graph.integrations import dora as dora_metrics

# What each of graph_model.PROCESS_METRICS means, shown on the MetricName enum; a metric
# added there without a description here stops the enum from being made.
METRIC_DESCRIPTIONS = {
    "commits": "Commits authored in the week.",
    "authors": "People who authored or co-authored a commit in the week.",
    "churn": "Lines added plus lines deleted in the week.",
    "bus_factor": "Fewest people whose leaving orphans over half the files touched in the last 12 weeks.",
    "collaboration": "Share of pairs of people active in the last 12 weeks who edited a file in common.",
    "mlflow_runs": "MLflow runs started in the week (`import-mlflow`).",
    "mlflow_best_metric": "Best value of the primary metric among the week's MLflow runs (`import-mlflow`).",
}

if TYPE_CHECKING:
    MetricName = Enum  # made at import, so the type checker knows it only as an enum
else:
    MetricName = vocabulary_enum("MetricName", METRIC_DESCRIPTIONS)


@strawberry.type(
    description="The latest week of a project's process metrics (from `maestro-graph import-git` and `import-mlflow`)."
)
class ProcessMetrics:
    week: datetime = strawberry.field(description="Start (Monday 00:00 UTC) of the week the values are for.")
    commits: int | None
    authors: int | None
    churn: int | None
    bus_factor: int | None
    collaboration: float | None
    mlflow_runs: int | None
    mlflow_best_metric: float | None


@strawberry.type
class MetricPoint:
    at: datetime = strawberry.field(description="Start of the period.")
    period: str = strawberry.field(description="The period's name, e.g. 2025-W07.")
    value: float


@strawberry.type(description="DORA metrics from the project's production deployments in a window ending at `until`.")
class DoraMetrics:
    window_days: int
    since: datetime
    until: datetime
    deployments: int = strawberry.field(description="Successful production deployments.")
    failed_deployments: int
    deployment_frequency: float = strawberry.field(description="Successful production deployments per day.")
    lead_time_hours: float | None = strawberry.field(
        description="Median hours from a change's commit to the successful deployment that shipped it."
    )
    changes: int = strawberry.field(description="Changes whose lead time was measured.")
    change_failure_rate: float | None = strawberry.field(description="Failed over finished deployments.")
    time_to_restore_hours: float | None = strawberry.field(
        description="Median hours from a failed deployment to the next successful one in its environment."
    )
    restores: int
    open_failures: int = strawberry.field(description="Environments whose last deployment in the window failed.")


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


async def latest(info: Info, project_id: str) -> ProcessMetrics | None:
    values = await info.context.loaders.metrics.latest.load(project_id)
    if not values:
        return None

    def count(name: str) -> int | None:
        value = values.get(name)
        return None if value is None else int(value["value"])

    def share(name: str) -> float | None:
        value = values.get(name)
        return None if value is None else float(value["value"])

    week = max(native(value["at"]) for value in values.values())
    return ProcessMetrics(
        week=week,
        commits=count("commits"),
        authors=count("authors"),
        churn=count("churn"),
        bus_factor=count("bus_factor"),
        collaboration=share("collaboration"),
        mlflow_runs=count("mlflow_runs"),
        mlflow_best_metric=share("mlflow_best_metric"),
    )


async def series(
    info: Info, project_id: str, name: Enum, since: datetime | None, until: datetime | None
) -> list[MetricPoint]:
    since, until = _utc(since), _utc(until)
    if since and until and since > until:
        raise InvalidInput("from", "must not be after `to`")
    points = await info.context.loaders.metrics.series.load((project_id, name.value, since, until))
    return [MetricPoint(at=native(p["at"]), period=p["period"], value=p["value"]) for p in points]


async def dora(info: Info, project_id: str, window: int, until: datetime | None) -> DoraMetrics:
    if not 1 <= window <= dora_metrics.MAX_WINDOW_DAYS:
        raise InvalidInput("window", f"must be between 1 and {dora_metrics.MAX_WINDOW_DAYS} days")
    loaders = info.context.loaders.metrics
    result = await loaders.dora.load((project_id, window, _utc(until) or loaders.now))
    return DoraMetrics(**vars(result))
