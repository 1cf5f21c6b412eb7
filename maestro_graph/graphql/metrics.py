"""GraphQL for process metrics: `Project.metrics` (latest weekly values from git),
`Project.metricSeries(name, from, to)` and `Project.dora(window, until)`.

Each field gathers the projects of one request tick into one query, like the
relationship fields do; the loaders live on the request's context, created on first use.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from maestro_graph.db.graph import GraphDB
from maestro_graph.domain import InvalidInput
from maestro_graph.graphql.errors import to_graphql_error
from maestro_graph.integrations import dora as dora_metrics
from maestro_graph.repositories import deployments, metrics

# Twenty years of weeks: a series longer than that is cut, oldest first.
MAX_SERIES_POINTS = 1040


@strawberry.enum(description="A weekly process metric computed from a project's git history.")
class MetricName(Enum):
    COMMITS = strawberry.enum_value("commits", description="Commits authored in the week.")
    AUTHORS = strawberry.enum_value("authors", description="People who authored or co-authored a commit in the week.")
    CHURN = strawberry.enum_value("churn", description="Lines added plus lines deleted in the week.")
    BUS_FACTOR = strawberry.enum_value(
        "bus_factor", description="Fewest people whose leaving orphans over half the files touched in the last 12 weeks.")
    COLLABORATION = strawberry.enum_value(
        "collaboration", description="Share of pairs of people active in the last 12 weeks who edited a file in common.")


@strawberry.type(description="The latest week of a project's process metrics (from `maestro-graph import-git`).")
class ProcessMetrics:
    week: datetime = strawberry.field(description="Start (Monday 00:00 UTC) of the week the values are for.")
    commits: int | None
    authors: int | None
    churn: int | None
    bus_factor: int | None
    collaboration: float | None


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
        description="Median hours from a change's commit to the successful deployment that shipped it.")
    changes: int = strawberry.field(description="Changes whose lead time was measured.")
    change_failure_rate: float | None = strawberry.field(description="Failed over finished deployments.")
    time_to_restore_hours: float | None = strawberry.field(
        description="Median hours from a failed deployment to the next successful one in its environment.")
    restores: int
    open_failures: int = strawberry.field(description="Environments whose last deployment in the window failed.")


def _native(value):
    return value.to_native() if hasattr(value, "to_native") else value


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


SeriesKey = tuple[str, str, datetime | None, datetime | None]
DoraKey = tuple[str, int, datetime]


@dataclass
class MetricLoaders:
    db: GraphDB
    # One "now" per request, so every project in it is measured over the same window.
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    latest: DataLoader = field(init=False)
    series: DataLoader = field(init=False)
    dora: DataLoader = field(init=False)

    def __post_init__(self) -> None:
        self.latest = DataLoader(self._load_latest)
        self.series = DataLoader(self._load_series)
        self.dora = DataLoader(self._load_dora)

    async def _load_latest(self, ids: list[str]) -> list[dict]:
        names = [name.value for name in MetricName]
        found = await self.db.read(metrics.latest, list(dict.fromkeys(ids)), names)
        return [found.get(project_id, {}) for project_id in ids]

    async def _load_series(self, keys: list[SeriesKey]) -> list[list[dict]]:
        groups: dict[tuple, list[str]] = defaultdict(list)
        for project_id, *rest in keys:
            groups[tuple(rest)].append(project_id)

        async def work(tx):
            return {group: await metrics.series(tx, list(dict.fromkeys(ids)), group[0], group[1], group[2],
                                                MAX_SERIES_POINTS)
                    for group, ids in groups.items()}

        found = await self.db.read(work)
        return [found[(name, since, until)].get(project_id, []) for project_id, name, since, until in keys]

    async def _load_dora(self, keys: list[DoraKey]) -> list[dora_metrics.Dora]:
        groups: dict[tuple[int, datetime], list[str]] = defaultdict(list)
        for project_id, window, until in keys:
            groups[(window, until)].append(project_id)

        async def work(tx):
            return {(window, until): await deployments.dora_deployments(
                        tx, list(dict.fromkeys(ids)), dora_metrics.window_start(until, window), until)
                    for (window, until), ids in groups.items()}

        found = await self.db.read(work)
        return [dora_metrics.compute(dora_metrics.from_rows(found[(window, until)].get(project_id, []), _native),
                                     until, window)
                for project_id, window, until in keys]


def _loaders(info: Info) -> MetricLoaders:
    context = info.context
    loaders = getattr(context, "metric_loaders", None)
    if loaders is None:
        loaders = MetricLoaders(context.db)
        context.metric_loaders = loaders
    return loaders


async def latest(info: Info, project_id: str) -> ProcessMetrics | None:
    values = await _loaders(info).latest.load(project_id)
    if not values:
        return None

    def number(name: str, kind=int):
        value = values.get(name)
        return None if value is None else kind(value["value"])

    week = max(_native(value["at"]) for value in values.values())
    return ProcessMetrics(week=week, commits=number("commits"), authors=number("authors"), churn=number("churn"),
                          bus_factor=number("bus_factor"), collaboration=number("collaboration", float))


async def series(info: Info, project_id: str, name: MetricName, since: datetime | None,
                 until: datetime | None) -> list[MetricPoint]:
    since, until = _utc(since), _utc(until)
    if since and until and since > until:
        raise to_graphql_error(InvalidInput("from", "must not be after `to`"))
    points = await _loaders(info).series.load((project_id, name.value, since, until))
    return [MetricPoint(at=_native(p["at"]), period=p["period"], value=p["value"]) for p in points]


async def dora(info: Info, project_id: str, window: int, until: datetime | None) -> DoraMetrics:
    if not 1 <= window <= dora_metrics.MAX_WINDOW_DAYS:
        raise to_graphql_error(InvalidInput("window", f"must be between 1 and {dora_metrics.MAX_WINDOW_DAYS} days"))
    loaders = _loaders(info)
    result = await loaders.dora.load((project_id, window, _utc(until) or loaders.now))
    return DoraMetrics(**vars(result))
