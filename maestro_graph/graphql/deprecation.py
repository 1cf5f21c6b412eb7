"""Deprecating an artifact: `deprecateArtifact` / `undeprecateArtifact`, and
`Artifact.deprecation`, which lists the projects still using it with the replacement and
the alternatives the recommender ranks for each.

A deprecated artifact is never recommended again: the recommendation queries leave it out
(`repositories.deprecation.NOT_DEPRECATED`). Both writes are audited in their transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from maestro_graph import domain
from maestro_graph.auth import scopes
from maestro_graph.auth.permissions import scope
from maestro_graph.db.values import native
from maestro_graph.domain import InvalidInput, NotFound
from maestro_graph.graphql.audit import audited
from maestro_graph.graphql.connections import Connection, Edge, connection
from maestro_graph.graphql.pagination import bounded
from maestro_graph.graphql.types import Artifact, Project, Usage
from maestro_graph.repositories import deprecation, nodes

MAX_ALTERNATIVES = 20


@strawberry.type(description="An artifact the recommender ranks for a project in place of a deprecated one.")
class Alternative:
    artifact: Artifact
    rank: int = strawberry.field(description="Its rank among the project's recommendations (1 = best).")
    score: float


@strawberry.type(description="A project still using a deprecated artifact.")
class DeprecationNoticeEdge(Edge[Project]):
    usage: Usage
    alternatives: list[Alternative] = strawberry.field(
        description="Artifacts of the same kind the active artifacts model recommends for this project, best "
        "first (never a deprecated one); empty before training or when it recommends none of that kind."
    )


@strawberry.type
class DeprecationNoticeConnection(Connection[Project]):
    edges: Sequence[DeprecationNoticeEdge]


@strawberry.type(description="Why an artifact should no longer be used, and what to use instead.")
class ArtifactDeprecation:
    reason: str
    deprecated_at: datetime | None
    artifact_id: strawberry.Private[str]
    replaced_by: strawberry.Private[str | None]

    @staticmethod
    def from_node(node: dict[str, Any]) -> ArtifactDeprecation | None:
        if node.get("deprecated_at") is None:
            return None
        return ArtifactDeprecation(
            reason=node.get("deprecation_reason") or "",
            deprecated_at=native(node.get("deprecated_at")),
            artifact_id=node["id"],
            replaced_by=node.get("replaced_by"),
        )

    @strawberry.field(description="The artifact to use instead; null when none was named (or it was deleted).")
    async def replacement(self, info: Info) -> Artifact | None:
        if self.replaced_by is None:
            return None
        node = await info.context.loaders.node.load(("Artifact", self.replaced_by))
        return None if node is None else Artifact.from_node(node)

    @strawberry.field(description="Projects still using the deprecated artifact, by name, each with alternatives.")
    async def affected_projects(
        self, info: Info, first: int | None = None, after: str | None = None, alternatives: int = 5
    ) -> DeprecationNoticeConnection:
        win = info.context.window(first, after)
        k = bounded(alternatives, MAX_ALTERNATIVES, "alternatives")

        async def work(tx):
            rows, total = await deprecation.users(tx, self.artifact_id, win.skip, win.limit)
            ranked = await deprecation.alternatives(tx, self.artifact_id, [r["node"]["id"] for r in rows], k)
            return rows, total, ranked

        rows, total, ranked = await info.context.db.read(work)
        return connection(
            DeprecationNoticeConnection,
            rows,
            total,
            win.skip,
            lambda cursor, r: DeprecationNoticeEdge(
                cursor=cursor,
                node=Project.from_node(r["node"]),
                usage=Usage.from_rel(r["rel"]),
                alternatives=[
                    Alternative(artifact=Artifact.from_node(a["node"]), rank=a["rank"], score=a["score"])
                    for a in ranked.get(r["node"]["id"], [])
                ],
            ),
        )


async def _write(info: Info, work, targets: list[str], changed: list[str]) -> Artifact:
    node = await info.context.db.write(audited(info, work, targets, changed))
    info.context.loaders.forget()
    return Artifact.from_node(node)


@strawberry.type
class DeprecationMutation:
    @strawberry.mutation(
        description="Mark an artifact deprecated, with a reason and optionally the artifact replacing it: it is "
        "never recommended again. Deprecating again replaces the reason, replacement and time.",
        extensions=scope(scopes.WRITE),
    )
    async def deprecate_artifact(
        self, info: Info, id: strawberry.ID, reason: str, replacement_id: strawberry.ID | None = None
    ) -> Artifact | None:
        artifact_id = domain.valid_id(id)
        text = domain.valid_text(reason, "reason")
        if not text or not text.strip():
            raise InvalidInput("reason", "must not be empty")
        replacement = None if replacement_id is None else domain.valid_id(replacement_id, "replacementId")
        if replacement == artifact_id:
            raise InvalidInput("replacementId", "an artifact cannot replace itself")

        async def work(tx):
            if replacement is not None:
                found = (await nodes.get_many(tx, "Artifact", [replacement])).get(replacement)
                if found is None:
                    raise NotFound("Artifact", replacement, "replacementId")
                if found.get("deprecated_at") is not None:
                    raise InvalidInput("replacementId", "is deprecated itself")
            node = await deprecation.deprecate(tx, artifact_id, text, replacement)
            if node is None:
                raise NotFound("Artifact", artifact_id, "id")
            return node

        targets = [artifact_id] if replacement is None else [artifact_id, replacement]
        changed = ["deprecated_at", "deprecation_reason", "replaced_by"]
        return await _write(info, work, targets, changed)

    @strawberry.mutation(
        description="Take an artifact's deprecation back: it may be recommended again.",
        extensions=scope(scopes.WRITE),
    )
    async def undeprecate_artifact(self, info: Info, id: strawberry.ID) -> Artifact | None:
        artifact_id = domain.valid_id(id)

        async def work(tx):
            node = await deprecation.undeprecate(tx, artifact_id)
            if node is None:
                raise NotFound("Artifact", artifact_id, "id")
            return node

        return await _write(info, work, [artifact_id], ["deprecated_at", "deprecation_reason", "replaced_by"])
