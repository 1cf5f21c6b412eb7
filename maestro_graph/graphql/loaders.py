"""DataLoaders: every relationship or node fetch in one request tick is gathered
into one `UNWIND $ids` query, so round trips grow with query depth, not row count."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from strawberry.dataloader import DataLoader

from maestro_graph.db.graph import GraphDB
from maestro_graph.repositories import nodes, predictions, relations, semantic

NodeKey = tuple[str, str]  # (label, id)
PageKey = tuple[str, str, int, int]  # (relation name, anchor id, skip, limit)
Page = tuple[list[dict[str, Any]], int]


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
class Loaders:
    db: GraphDB
    node: DataLoader[NodeKey, dict | None] = field(init=False)
    page: DataLoader[PageKey, Page] = field(init=False)
    prediction: DataLoader[tuple[str, str], dict | None] = field(init=False)
    similar: DataLoader[tuple[str, int], list[dict]] = field(init=False)

    def __post_init__(self) -> None:
        self.node = DataLoader(lambda keys: _load_nodes(self.db, keys))
        self.page = DataLoader(lambda keys: _load_pages(self.db, keys))
        self.prediction = DataLoader(lambda keys: _load_predictions(self.db, keys))
        self.similar = DataLoader(lambda keys: _load_similar(self.db, keys))

    def forget(self) -> None:
        """After a write, later reads in the same request must see it."""
        for loader in (self.node, self.page, self.prediction, self.similar):
            loader.clear_all()
