"""GraphQL for the models: recommendations, team composition, the impact leaderboard,
model versions and semantic search. What a model says about one node is a field of the
node's type (`maestro_graph.graphql.model_answers`)."""

from __future__ import annotations

import json
from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from maestro_graph.db.values import native
from maestro_graph.domain import NotFound, valid_id
from maestro_graph.graphql.model_answers import ArtifactImpact
from maestro_graph.graphql.pagination import bounded
from maestro_graph.graphql.search import semantic_search
from maestro_graph.graphql.types import Artifact, Node, Person, node_from_row
from maestro_graph.graphql.vocabularies import ArtifactKind
from maestro_graph.ml.serving import recommend
from maestro_graph.repositories import predictions

MAX_RECOMMENDATIONS = 100
MAX_TEAM_SIZE = 20
MAX_MODEL_VERSIONS = 100


@strawberry.type(description="An artifact suggested for a project.")
class ArtifactRecommendation:
    artifact: Artifact
    score: float
    model_version: str | None = strawberry.field(description="Null for a cold start, which uses no trained model.")
    cold_start: bool = strawberry.field(
        description="True when the project was unknown to the model: ranked from text-similar projects."
    )
    because: list[Node] = strawberry.field(
        description="Why: artifacts the project uses that are most often used together with this one, "
        "or (cold start) the similar projects that use it."
    )


@strawberry.type(description="A person suggested for a project.")
class PersonRecommendation:
    person: Person
    score: float
    model_version: str | None
    cold_start: bool


@strawberry.type(description="A team chosen greedily for link score, coverage of the project's artifacts and cohesion.")
class TeamComposition:
    members: list[PersonRecommendation]
    marginal_gains: list[float]
    coverage: float = strawberry.field(description="Share of needed artifacts some member has worked with.")
    covered_artifact_ids: list[strawberry.ID]
    needed_artifact_ids: list[strawberry.ID]
    pairs_worked_together: int
    objective: float


@strawberry.type
class LeaderboardEntry:
    artifact: Artifact
    impact: ArtifactImpact


@strawberry.type
class ModelVersion:
    version: str
    task: str
    trained_at: datetime | None
    active: bool
    metrics: JSON
    params: JSON


@strawberry.enum
class ModelTask(Enum):
    ARTIFACTS = "artifacts"
    TEAM = "team"
    OUTCOME = "outcome"
    IMPACT = "impact"


def _artifact_recommendation(r: recommend.Recommendation) -> ArtifactRecommendation:
    return ArtifactRecommendation(
        artifact=Artifact.from_node(r.node),
        score=r.score,
        model_version=r.model_version,
        cold_start=r.cold_start,
        because=[node_from_row(label, node) for label, node in r.because],
    )


def _person_recommendation(r: recommend.Recommendation) -> PersonRecommendation:
    return PersonRecommendation(
        person=Person.from_node(r.node), score=r.score, model_version=r.model_version, cold_start=r.cold_start
    )


async def _recommend(call, info: Info, project_id: str, k: int):
    try:
        return await call(info.context.db, project_id, k)
    except recommend.ProjectNotFound:
        raise NotFound("Project", project_id, "projectId") from None


@strawberry.type
class MLQuery:
    @strawberry.field(description="Artifacts the project does not use yet, best first.")
    async def recommend_artifacts(
        self, info: Info, project_id: strawberry.ID, k: int = 10
    ) -> list[ArtifactRecommendation]:
        rows = await _recommend(
            recommend.recommend_artifacts, info, valid_id(project_id, "projectId"), bounded(k, MAX_RECOMMENDATIONS, "k")
        )
        return [_artifact_recommendation(r) for r in rows]

    @strawberry.field(description="People who are not members of the project yet, best first.")
    async def recommend_team(self, info: Info, project_id: strawberry.ID, k: int = 10) -> list[PersonRecommendation]:
        rows = await _recommend(
            recommend.recommend_team, info, valid_id(project_id, "projectId"), bounded(k, MAX_RECOMMENDATIONS, "k")
        )
        return [_person_recommendation(r) for r in rows]

    @strawberry.field(description="A team of `size` new people for the project (objective in the README).")
    async def compose_team(self, info: Info, project_id: strawberry.ID, size: int) -> TeamComposition:
        choice = await _recommend(
            recommend.compose_team, info, valid_id(project_id, "projectId"), bounded(size, MAX_TEAM_SIZE, "size")
        )
        return TeamComposition(
            members=[_person_recommendation(m) for m in choice.members],
            marginal_gains=choice.marginal_gains,
            coverage=choice.coverage,
            covered_artifact_ids=choice.covered,
            needed_artifact_ids=choice.needed,
            pairs_worked_together=choice.pairs_worked_together,
            objective=choice.objective,
        )

    @strawberry.field(description="Artifacts ranked by learned impact on project success (active impact model).")
    async def artifact_leaderboard(
        self, info: Info, first: int | None = None, after: str | None = None, kind: ArtifactKind | None = None
    ) -> list[LeaderboardEntry]:
        win = info.context.window(first, after)

        async def work(tx):
            return await predictions.leaderboard(tx, kind.value if kind else None, win.skip, win.limit)

        rows = await info.context.db.read(work)
        return [
            LeaderboardEntry(
                artifact=Artifact.from_node(r["node"]),
                impact=ArtifactImpact(score=r["score"], rank=r["rank"], model_version=r["version"]),
            )
            for r in rows
        ]

    @strawberry.field(description="Model versions, newest first, with the metrics measured when each was trained.")
    async def models(self, info: Info, task: ModelTask | None = None, first: int = 20) -> list[ModelVersion]:
        limit = bounded(first, MAX_MODEL_VERSIONS, "first")

        async def work(tx):
            return await predictions.models(tx, task.value if task else None, limit)

        return [
            ModelVersion(
                version=m["version"],
                task=m["task"],
                trained_at=native(m.get("trained_at")),
                active=bool(m.get("active")),
                metrics=json.loads(m.get("metrics") or "{}"),
                params=json.loads(m.get("params") or "{}"),
            )
            for m in await info.context.db.read(work)
        ]

    semantic_search = strawberry.field(
        resolver=semantic_search,
        description="Projects and artifacts nearest in meaning to the text (sentence embeddings).",
    )
