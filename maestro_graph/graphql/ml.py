"""GraphQL for the models: recommendations, team composition, outcome and impact
predictions, model versions, semantic search and similar projects."""

from __future__ import annotations

import json
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from maestro_graph.domain import MAX_TEXT_LENGTH, InvalidInput, valid_id
from maestro_graph.graphql.errors import not_found, to_graphql_error
from maestro_graph.ml import recommend
from maestro_graph.repositories import predictions, semantic

if TYPE_CHECKING:
    from maestro_graph.graphql.types import Artifact, Node, Person, Project

MAX_RECOMMENDATIONS = 100
MAX_TEAM_SIZE = 20


def _types():
    from maestro_graph.graphql import types

    return types


@strawberry.type(description="An artifact suggested for a project.")
class ArtifactRecommendation:
    artifact: Annotated["Artifact", strawberry.lazy("maestro_graph.graphql.types")]
    score: float
    model_version: str | None = strawberry.field(description="Null for a cold start, which uses no trained model.")
    cold_start: bool = strawberry.field(
        description="True when the project was unknown to the model: ranked from text-similar projects.")
    because: list[Annotated["Node", strawberry.lazy("maestro_graph.graphql.types")]] = strawberry.field(
        description="Why: artifacts the project uses that are most often used together with this one, "
                    "or (cold start) the similar projects that use it.")


@strawberry.type(description="A person suggested for a project.")
class PersonRecommendation:
    person: Annotated["Person", strawberry.lazy("maestro_graph.graphql.types")]
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
class OutcomePrediction:
    success_probability: float
    model_version: str


@strawberry.type(description="Learned effect of an artifact on the success of the projects that use it.")
class ArtifactImpact:
    score: float = strawberry.field(description="Mean change in predicted success of its user projects "
                                                "when the artifact is taken out of their neighbourhood.")
    rank: int = strawberry.field(description="1 = the most positive impact among all artifacts.")
    model_version: str


@strawberry.type
class LeaderboardEntry:
    artifact: Annotated["Artifact", strawberry.lazy("maestro_graph.graphql.types")]
    impact: ArtifactImpact


@strawberry.type
class ModelVersion:
    version: str
    task: str
    trained_at: datetime | None
    active: bool
    metrics: JSON
    params: JSON


@strawberry.type
class SimilarProject:
    project: Annotated["Project", strawberry.lazy("maestro_graph.graphql.types")]
    score: float = strawberry.field(description="Cosine similarity of the two projects' text embeddings.")


@strawberry.enum
class SearchMode(Enum):
    VECTOR = "vector"
    HYBRID = strawberry.enum_value("hybrid", description="Full-text and vector ranks fused (reciprocal rank fusion).")


@strawberry.enum
class ModelTask(Enum):
    ARTIFACTS = "artifacts"
    TEAM = "team"
    OUTCOME = "outcome"
    IMPACT = "impact"


def _bounded(value: int, maximum: int, field: str) -> int:
    if value < 1 or value > maximum:
        raise to_graphql_error(InvalidInput(field, f"must be between 1 and {maximum} (got {value})"))
    return value


def _project_id(value: str) -> str:
    try:
        return valid_id(value, "projectId")
    except InvalidInput as error:
        raise to_graphql_error(error) from None


def _node(label: str, node: dict):
    return _types().node_from_row(label, node)


def _artifact_recommendation(r: recommend.Recommendation) -> ArtifactRecommendation:
    return ArtifactRecommendation(
        artifact=_node("Artifact", r.node), score=r.score, model_version=r.model_version, cold_start=r.cold_start,
        because=[_node(label, node) for label, node in r.because],
    )


def _person_recommendation(r: recommend.Recommendation) -> PersonRecommendation:
    return PersonRecommendation(person=_node("Person", r.node), score=r.score, model_version=r.model_version,
                                cold_start=r.cold_start)


async def _recommend(call, info: Info, project_id: str, k: int):
    try:
        return await call(info.context.db, project_id, k)
    except recommend.ProjectNotFound:
        raise not_found("Project", project_id, "projectId") from None


def _check_text(text: str) -> None:
    if not text.strip() or len(text) > MAX_TEXT_LENGTH:
        raise to_graphql_error(InvalidInput("text", f"must be 1 to {MAX_TEXT_LENGTH} characters"))


@strawberry.type
class MLQuery:
    @strawberry.field(description="Artifacts the project does not use yet, best first.")
    async def recommend_artifacts(self, info: Info, project_id: strawberry.ID, k: int = 10) -> list[ArtifactRecommendation]:
        rows = await _recommend(recommend.recommend_artifacts, info, _project_id(project_id),
                                _bounded(k, MAX_RECOMMENDATIONS, "k"))
        return [_artifact_recommendation(r) for r in rows]

    @strawberry.field(description="People who are not members of the project yet, best first.")
    async def recommend_team(self, info: Info, project_id: strawberry.ID, k: int = 10) -> list[PersonRecommendation]:
        rows = await _recommend(recommend.recommend_team, info, _project_id(project_id),
                                _bounded(k, MAX_RECOMMENDATIONS, "k"))
        return [_person_recommendation(r) for r in rows]

    @strawberry.field(description="A team of `size` new people for the project (objective in the README).")
    async def compose_team(self, info: Info, project_id: strawberry.ID, size: int) -> TeamComposition:
        choice = await _recommend(recommend.compose_team, info, _project_id(project_id),
                                  _bounded(size, MAX_TEAM_SIZE, "size"))
        return TeamComposition(
            members=[_person_recommendation(m) for m in choice.members], marginal_gains=choice.marginal_gains,
            coverage=choice.coverage, covered_artifact_ids=choice.covered, needed_artifact_ids=choice.needed,
            pairs_worked_together=choice.pairs_worked_together, objective=choice.objective,
        )

    @strawberry.field(description="Artifacts ranked by learned impact on project success (active impact model).")
    async def artifact_leaderboard(
        self, info: Info, first: int | None = None, after: str | None = None,
        kind: Annotated["ArtifactKind", strawberry.lazy("maestro_graph.graphql.types")] | None = None,
    ) -> list[LeaderboardEntry]:
        try:
            win = info.context.window(first, after)
        except InvalidInput as error:
            raise to_graphql_error(error) from None

        async def work(tx):
            return await predictions.leaderboard(tx, kind.value if kind else None, win.skip, win.limit)

        rows = await info.context.db.read(work)
        return [LeaderboardEntry(artifact=_node("Artifact", r["node"]),
                                 impact=ArtifactImpact(score=r["score"], rank=r["rank"], model_version=r["version"]))
                for r in rows]

    @strawberry.field(description="Model versions, newest first, with the metrics measured when each was trained.")
    async def models(self, info: Info, task: ModelTask | None = None, first: int = 20) -> list[ModelVersion]:
        limit = _bounded(first, 100, "first")

        async def work(tx):
            return await predictions.models(tx, task.value if task else None, limit)

        return [ModelVersion(version=m["version"], task=m["task"], trained_at=_types().native(m.get("trained_at")),
                             active=bool(m.get("active")), metrics=json.loads(m.get("metrics") or "{}"),
                             params=json.loads(m.get("params") or "{}"))
                for m in await info.context.db.read(work)]

    @strawberry.field(description="Projects and artifacts nearest in meaning to the text (sentence embeddings).")
    async def semantic_search(
        self, info: Info, text: str,
        kinds: list[Annotated["SearchKind", strawberry.lazy("maestro_graph.graphql.queries")]] | None = None,
        artifact_kinds: list[Annotated["ArtifactKind", strawberry.lazy("maestro_graph.graphql.types")]] | None = None,
        first: int = 10, mode: SearchMode = SearchMode.VECTOR,
    ) -> list[Annotated["SearchHit", strawberry.lazy("maestro_graph.graphql.queries")]]:
        from maestro_graph.graphql.queries import SearchHit

        _check_text(text)
        k = _bounded(first, 100, "first")
        labels = [kind.value for kind in kinds] if kinds else ["Project", "Artifact"]
        kinds_filter = [kind.value for kind in artifact_kinds] if artifact_kinds else None
        vector = await recommend._embed(text)

        async def work(tx):
            if mode is SearchMode.HYBRID:
                return await semantic.hybrid_search(tx, text, vector, labels, kinds_filter, k)
            return await semantic.vector_search(tx, vector, labels, kinds_filter, k)

        rows = await info.context.db.read(work)
        return [SearchHit(node=_node(r["label"], r["node"]), score=r["score"]) for r in rows]


async def similar_projects(info: Info, project_id: str, first: int) -> list[SimilarProject]:
    k = _bounded(first, 50, "first")

    found = await info.context.loaders.similar.load((project_id, k))
    return [SimilarProject(project=_node("Project", s["node"]), score=s["score"]) for s in found]


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
