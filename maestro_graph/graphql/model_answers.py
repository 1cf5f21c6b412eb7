"""What the trained models say about one node, as fields of the node's own type:
`Project.outcomePrediction`, `Artifact.impact` and the rows of `Project.similarProjects`.

Read through the request's DataLoaders, so a page of nodes costs one query per field.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.types import Info

from maestro_graph.graphql.pagination import bounded

MAX_SIMILAR_PROJECTS = 50


@strawberry.type
class OutcomePrediction:
    success_probability: float
    model_version: str


@strawberry.type(description="Learned effect of an artifact on the success of the projects that use it.")
class ArtifactImpact:
    score: float = strawberry.field(
        description="Mean change in predicted success of its user projects "
        "when the artifact is taken out of their neighbourhood."
    )
    rank: int = strawberry.field(description="1 = the most positive impact among all artifacts.")
    model_version: str


async def outcome_prediction(info: Info, project_id: str) -> OutcomePrediction | None:
    row = await info.context.loaders.prediction.load(("outcome", project_id))
    if row is None:
        return None
    return OutcomePrediction(success_probability=row["score"], model_version=row["version"])


async def artifact_impact(info: Info, artifact_id: str) -> ArtifactImpact | None:
    row = await info.context.loaders.prediction.load(("impact", artifact_id))
    if row is None:
        return None
    return ArtifactImpact(score=row["score"], rank=row["rank"], model_version=row["version"])


async def similar_project_rows(info: Info, project_id: str, first: int) -> list[dict[str, Any]]:
    """The `first` projects nearest to `project_id`, as {node, score} rows, nearest first."""
    k = bounded(first, MAX_SIMILAR_PROJECTS, "first")
    return await info.context.loaders.similar.load((project_id, k))
