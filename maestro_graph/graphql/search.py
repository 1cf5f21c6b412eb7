"""Search: full text (`Query.search`) and by meaning (`Query.semanticSearch`), and the
hit both answer with."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types import Info

from maestro_graph.domain import MAX_TEXT_LENGTH, InvalidInput
from maestro_graph.graphql.pagination import bounded
from maestro_graph.graphql.prefetch import OperationView, listed_properties
from maestro_graph.graphql.types import NODE_TYPES, Node, node_from_row
from maestro_graph.graphql.vocabularies import ArtifactKind
from maestro_graph.ml.serving import recommend
from maestro_graph.repositories import listing, semantic

MAX_SEMANTIC_HITS = 100


@strawberry.enum
class SearchKind(Enum):
    PROJECT = "Project"
    ARTIFACT = "Artifact"
    PERSON = "Person"
    TEAM = "Team"


@strawberry.type
class SearchHit:
    node: Node
    score: float


@strawberry.enum
class SearchMode(Enum):
    VECTOR = "vector"
    HYBRID = strawberry.enum_value("hybrid", description="Full-text and vector ranks fused (reciprocal rank fusion).")


def _hits(rows: list[dict]) -> list[SearchHit]:
    return [SearchHit(node=node_from_row(r["label"], r["node"]), score=r["score"]) for r in rows]


async def full_text_search(
    info: Info,
    text: str,
    kinds: list[SearchKind] | None = None,
    artifact_kinds: list[ArtifactKind] | None = None,
    first: int | None = None,
) -> list[SearchHit]:
    return await full_text_hits(info._raw_info, text, kinds, artifact_kinds, first)


async def full_text_hits(
    view: OperationView,
    text: str,
    kinds: list[SearchKind] | None = None,
    artifact_kinds: list[ArtifactKind] | None = None,
    first: int | None = None,
) -> list[SearchHit]:
    """`Query.search`'s answer, read the same way by its resolver and by the compiled reads."""
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidInput("text", f"must be at most {MAX_TEXT_LENGTH} characters")
    context = view.context
    limit = context.window(first, None).limit
    labels = [kind.value for kind in kinds] if kinds else None
    artifact_kind_values = [kind.value for kind in artifact_kinds] if artifact_kinds else None
    properties = {label: listed_properties(view, label) for label in NODE_TYPES}

    async def work(tx):
        return await listing.search(tx, text, labels, artifact_kind_values, limit, properties)

    return _hits(await context.db.read(work))


async def semantic_search(
    info: Info,
    text: str,
    kinds: list[SearchKind] | None = None,
    artifact_kinds: list[ArtifactKind] | None = None,
    first: int = 10,
    mode: SearchMode = SearchMode.VECTOR,
) -> list[SearchHit]:
    if not text.strip() or len(text) > MAX_TEXT_LENGTH:
        raise InvalidInput("text", f"must be 1 to {MAX_TEXT_LENGTH} characters")
    k = bounded(first, MAX_SEMANTIC_HITS, "first")
    labels = [kind.value for kind in kinds] if kinds else ["Project", "Artifact"]
    kinds_filter = [kind.value for kind in artifact_kinds] if artifact_kinds else None
    vector = await recommend.embed_text(text)

    async def work(tx):
        if mode is SearchMode.HYBRID:
            return await semantic.hybrid_search(tx, text, vector, labels, kinds_filter, k)
        return await semantic.vector_search(tx, vector, labels, kinds_filter, k)

    return _hits(await info.context.db.read(work))
