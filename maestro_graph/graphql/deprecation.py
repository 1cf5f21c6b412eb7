"""Deprecating an artifact: `deprecateArtifact` / `undeprecateArtifact`. What a deprecation
says, and the projects still using the artifact with the alternatives the recommender ranks
for each, is `Artifact.deprecation` (`types.ArtifactDeprecation`).

A deprecated artifact is never recommended again: the recommendation queries leave it out
(`repositories.deprecation.NOT_DEPRECATED`). Both writes are audited in their transaction.
"""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from maestro_graph import domain
from maestro_graph.auth import scopes
from maestro_graph.auth.permissions import scope
from maestro_graph.domain import InvalidInput, NotFound
from maestro_graph.graphql.audit import audited
from maestro_graph.graphql.types import Artifact
from maestro_graph.repositories import deprecation, nodes


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
