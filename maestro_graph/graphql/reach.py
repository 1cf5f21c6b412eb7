"""Reads behind the artifact fields that walk further than one relationship: the projects
that depend on an artifact (`Artifact.dependents`), its lineage (`Artifact.lineage`) and the
projects still using a deprecated one (`ArtifactDeprecation.affectedProjects`). Inputs are
checked here, before anything is read; the answers are rows, made into types by `types`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strawberry.types import Info

from maestro_graph.domain import InvalidInput
from maestro_graph.graphql.pagination import bounded
from maestro_graph.repositories import deprecation, impact, nodes

MAX_DEPTH = impact.MAX_DEPTH
MAX_ALTERNATIVES = 20


@dataclass
class RowPage:
    rows: list[dict[str, Any]]
    total: int
    skip: int
    nodes: dict[str, dict[str, Any]]  # artifacts named by the rows' paths, by id
    extra: dict[str, Any]  # per row id, what else was read for it


def valid_depth(depth: int) -> int:
    if depth < 1 or depth > MAX_DEPTH:
        raise InvalidInput("depth", f"must be between 1 and {MAX_DEPTH} (got {depth})")
    return depth


async def path_nodes(tx, rows: list[dict[str, Any]]) -> dict[str, dict]:
    """The artifacts named by the rows' `via` paths, by id."""
    wanted = sorted({artifact_id for row in rows for artifact_id in row["via"]})
    return await nodes.get_many(tx, "Artifact", wanted)


async def dependents(info: Info, artifact_id: str, depth: int, first: int | None, after: str | None) -> RowPage:
    depth = valid_depth(depth)
    win = info.context.window(first, after)

    async def work(tx):
        rows, total = await impact.reached_projects(tx, [artifact_id], depth, win.skip, win.limit)
        return RowPage(rows, total, win.skip, await path_nodes(tx, rows), {})

    return await info.context.db.read(work)


async def lineage(
    info: Info, artifact_id: str, direction: str, depth: int, first: int | None, after: str | None
) -> RowPage:
    depth = valid_depth(depth)
    win = info.context.window(first, after)

    async def work(tx):
        rows, total = await impact.lineage(tx, artifact_id, direction, depth, win.skip, win.limit)
        return RowPage(rows, total, win.skip, await path_nodes(tx, rows), {})

    return await info.context.db.read(work)


async def deprecated_users(
    info: Info, artifact_id: str, first: int | None, after: str | None, alternatives: int
) -> RowPage:
    """Projects using the artifact ({node, rel}); `extra`: per project id, its alternatives."""
    win = info.context.window(first, after)
    k = bounded(alternatives, MAX_ALTERNATIVES, "alternatives")

    async def work(tx):
        rows, total = await deprecation.users(tx, artifact_id, win.skip, win.limit)
        ranked = await deprecation.alternatives(tx, artifact_id, [r["node"]["id"] for r in rows], k)
        return RowPage(rows, total, win.skip, {}, ranked)

    return await info.context.db.read(work)
