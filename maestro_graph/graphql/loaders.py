"""DataLoaders: every relationship, node or metric fetch in one request tick is gathered
into one `UNWIND $ids` query, so round trips grow with query depth, not row count.

`Loaders` is the request's one cache of graph reads: a write clears all of it (`forget`),
so a read later in the same request sees what the write did."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from strawberry.dataloader import DataLoader

from maestro_graph.db.graph import GraphDB
from maestro_graph.db.values import native
from maestro_graph.graph_model import PROCESS_METRICS
from maestro_graph.integrations import dora as dora_metrics
from maestro_graph.repositories import deployments, metric_series, nodes, predictions, relations, semantic

NodeKey = tuple[str, str]  # (label, id)
PageKey = tuple[str, str, int, int]  # (relation name, anchor id, skip, limit)
Page = tuple[list[dict[str, Any]], int]
SeriesKey = tuple[str, str, datetime | None, datetime | None]  # (project id, metric, from, to)
DoraKey = tuple[str, int, datetime]  # (project id, window in days, until)

# Twenty years of weeks: a series longer than that is cut, oldest first.
MAX_SERIES_POINTS = 1040


async def _load_nodes(db: GraphDB, keys: list[NodeKey]) -> list[dict | None]:
    by_label: dict[str, list[str]] = defaultdict(list)
    for label, node_id in keys:
        by_label[label].append(node_id)

    async def work(tx):
        return {label: await nodes.get_many(tx, label, ids) for label, ids in by_label.items()}

    found = await db.read(work)
    return [found[label].get(node_id) for label, node_id in keys]


async def _load_pages(db: GraphDB, keys: list[PageKey]) -> list[Page]:
    groups: dict[tuple[str, int, int], list[str]] = defaultdict(list)
    for name, anchor, skip, limit in keys:
        groups[(name, skip, limit)].append(anchor)

    async def work(tx):
        return {
            group: await relations.pages(tx, group[0], list(dict.fromkeys(ids)), group[1], group[2])
            for group, ids in groups.items()
        }

    found = await db.read(work)
    return [found[(name, skip, limit)].get(anchor, ([], 0)) for name, anchor, skip, limit in keys]


async def _load_predictions(db: GraphDB, keys: list[tuple[str, str]]) -> list[dict | None]:
    by_task: dict[str, list[str]] = defaultdict(list)
    for task, node_id in keys:
        by_task[task].append(node_id)
    readers = {"outcome": predictions.outcomes, "impact": predictions.impacts}

    async def work(tx):
        return {task: await readers[task](tx, ids) for task, ids in by_task.items()}

    found = await db.read(work)
    return [found[task].get(node_id) for task, node_id in keys]


async def _load_similar(db: GraphDB, keys: list[tuple[str, int]]) -> list[list[dict]]:
    by_k: dict[int, list[str]] = defaultdict(list)
    for project_id, k in keys:
        by_k[k].append(project_id)

    async def work(tx):
        return {k: await semantic.similar_projects(tx, list(dict.fromkeys(ids)), k) for k, ids in by_k.items()}

    found = await db.read(work)
    return [found[k].get(project_id, []) for project_id, k in keys]


@dataclass
class MetricLoaders:
    """Process metrics and DORA figures of many projects, one query per kind and tick."""

    db: GraphDB
    # One "now" per request, so every project in it is measured over the same window.
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    latest: DataLoader[str, dict] = field(init=False)
    series: DataLoader[SeriesKey, list[dict]] = field(init=False)
    dora: DataLoader[DoraKey, dora_metrics.Dora] = field(init=False)

    def __post_init__(self) -> None:
        self.latest = DataLoader(self._load_latest)
        self.series = DataLoader(self._load_series)
        self.dora = DataLoader(self._load_dora)

    def clear(self) -> None:
        for loader in (self.latest, self.series, self.dora):
            loader.clear_all()

    async def _load_latest(self, ids: list[str]) -> list[dict]:
        found = await self.db.read(metric_series.latest, list(dict.fromkeys(ids)), list(PROCESS_METRICS))
        return [found.get(project_id, {}) for project_id in ids]

    async def _load_series(self, keys: list[SeriesKey]) -> list[list[dict]]:
        groups: dict[tuple, list[str]] = defaultdict(list)
        for project_id, *rest in keys:
            groups[tuple(rest)].append(project_id)

        async def work(tx):
            return {
                group: await metric_series.series(
                    tx, list(dict.fromkeys(ids)), group[0], group[1], group[2], MAX_SERIES_POINTS
                )
                for group, ids in groups.items()
            }

        found = await self.db.read(work)
        return [found[(name, since, until)].get(project_id, []) for project_id, name, since, until in keys]

    async def _load_dora(self, keys: list[DoraKey]) -> list[dora_metrics.Dora]:
        groups: dict[tuple[int, datetime], list[str]] = defaultdict(list)
        for project_id, window, until in keys:
            groups[(window, until)].append(project_id)

        async def work(tx):
            return {
                (window, until): await deployments.dora_deployments(
                    tx, list(dict.fromkeys(ids)), dora_metrics.window_start(until, window), until
                )
                for (window, until), ids in groups.items()
            }

        found = await self.db.read(work)
        return [
            dora_metrics.compute(
                dora_metrics.from_rows(found[(window, until)].get(project_id, []), native), until, window
            )
            for project_id, window, until in keys
        ]


@dataclass
class Loaders:
    db: GraphDB
    node: DataLoader[NodeKey, dict | None] = field(init=False)
    page: DataLoader[PageKey, Page] = field(init=False)
    prediction: DataLoader[tuple[str, str], dict | None] = field(init=False)
    similar: DataLoader[tuple[str, int], list[dict]] = field(init=False)
    metrics: MetricLoaders = field(init=False)

    def __post_init__(self) -> None:
        self.node = DataLoader(lambda keys: _load_nodes(self.db, keys))
        self.page = DataLoader(lambda keys: _load_pages(self.db, keys))
        self.prediction = DataLoader(lambda keys: _load_predictions(self.db, keys))
        self.similar = DataLoader(lambda keys: _load_similar(self.db, keys))
        self.metrics = MetricLoaders(self.db)

    def forget(self) -> None:
        """After a write, later reads in the same request must see it."""
        for loader in (self.node, self.page, self.prediction, self.similar):
            loader.clear_all()
        self.metrics.clear()
