"""The GraphQL object types: thin dataclasses built from graph rows; relationship
fields resolve through the request's DataLoaders."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from strawberry.types import Info

from maestro_graph.graphql.pagination import encode_cursor
from maestro_graph.graphql.errors import to_graphql_error
# An argument's type cannot be lazy; the metrics module imports nothing from this one.
from maestro_graph.graphql.metrics import MetricName
from maestro_graph.domain import InvalidInput


def native(value: Any) -> Any:
    """Neo4j temporal values as Python ones."""
    return value.to_native() if hasattr(value, "to_native") else value


@strawberry.enum(description="What an artifact is.")
class ArtifactKind(Enum):
    MODEL = "model"
    DATASET = "dataset"
    NOTEBOOK = "notebook"
    PIPELINE = "pipeline"
    FEATURE = "feature"
    LIBRARY = "library"
    PROMPT = "prompt"
    OTHER = "other"


@strawberry.enum(description="Whether a person node stands for one person or a group (e.g. a team address).")
class PersonKind(Enum):
    PERSON = "person"
    TEAM = "team"


@strawberry.enum
class MemberRole(Enum):
    OWNER = "owner"
    MAINTAINER = "maintainer"
    UPLOADER = "uploader"
    CONTRIBUTOR = "contributor"
    VIEWER = "viewer"


@strawberry.enum
class ProjectStatus(Enum):
    ACTIVE = "active"
    ARCHIVED = "archived"
    REMOVED = "removed"


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


E = TypeVar("E")


@strawberry.type
class Connection(Generic[E]):
    edges: list[E]
    page_info: PageInfo
    total_count: int


def page_info(skip: int, count: int, total: int) -> PageInfo:
    return PageInfo(
        has_next_page=skip + count < total,
        has_previous_page=skip > 0,
        start_cursor=encode_cursor(skip) if count else None,
        end_cursor=encode_cursor(skip + count - 1) if count else None,
    )


def connection(connection_type, rows: list, total: int, skip: int, make_edge):
    """A page as a connection: `make_edge(cursor, row)` builds each edge."""
    return connection_type(
        edges=[make_edge(encode_cursor(skip + i), row) for i, row in enumerate(rows)],
        page_info=page_info(skip, len(rows), total),
        total_count=total,
    )


@strawberry.type(description="How a project uses an artifact.")
class Usage:
    count: int | None
    kinds: list[str]
    context: str | None
    first_used: datetime | None
    last_used: datetime | None

    @staticmethod
    def from_rel(rel: dict) -> Usage:
        return Usage(
            count=rel.get("count"),
            kinds=list(rel.get("kinds") or []),
            context=rel.get("context"),
            first_used=native(rel.get("first_used")),
            last_used=native(rel.get("last_used")),
        )


@strawberry.type(description="A person's part in a project.")
class Membership:
    roles: list[str]
    since: datetime | None

    @staticmethod
    def from_rel(rel: dict) -> Membership:
        return Membership(roles=list(rel.get("roles") or []), since=native(rel.get("since")))


async def _relation_page(info: Info, name: str, anchor: str, first: int | None, after: str | None):
    try:
        win = info.context.window(first, after)
    except InvalidInput as error:
        raise to_graphql_error(error) from None
    edges, total = await info.context.loaders.page.load((name, anchor, win.skip, win.limit))
    return edges, total, win.skip


@strawberry.interface(description="Anything in the graph with an id and a name.")
class Node:
    id: strawberry.ID
    name: str | None


@strawberry.type(description="A piece of ML work whose outcome we want to explain.")
class Project(Node):
    description: str | None
    status: str | None
    section: str | None
    tags: list[str]
    success: bool | None = strawberry.field(description="The outcome label: true succeeded, false failed, null unknown.")
    created_at: datetime | None

    @staticmethod
    def from_node(node: dict) -> Project:
        success = node.get("success")
        return Project(
            id=node["id"],
            name=node.get("name"),
            description=node.get("description"),
            status=node.get("status"),
            section=node.get("section"),
            tags=list(node.get("tags") or []),
            success=None if success is None else bool(success),
            created_at=native(node.get("created_at")),
        )

    @strawberry.field(description="Artifacts this project uses.")
    async def uses(self, info: Info, first: int | None = None, after: str | None = None) -> ProjectUsesConnection:
        edges, total, skip = await _relation_page(info, "project_uses", self.id, first, after)
        return connection(ProjectUsesConnection, edges, total, skip, lambda cursor, e: ProjectUsesEdge(
            cursor=cursor, node=Artifact.from_node(e["node"]), usage=Usage.from_rel(e["rel"])))

    @strawberry.field(description="Projects nearest in meaning (text embeddings), most similar first.")
    async def similar_projects(
        self, info: Info, first: int = 5
    ) -> list[Annotated["SimilarProject", strawberry.lazy("maestro_graph.graphql.ml")]]:
        from maestro_graph.graphql import ml

        return await ml.similar_projects(info, self.id, first)

    @strawberry.field(description="Predicted chance of success from the active outcome model; null before training.")
    async def outcome_prediction(
        self, info: Info
    ) -> Annotated["OutcomePrediction", strawberry.lazy("maestro_graph.graphql.ml")] | None:
        from maestro_graph.graphql import ml

        return await ml.outcome_prediction(info, self.id)

    @strawberry.field(description="Latest weekly process metrics from the project's git history; null before import-git.")
    async def metrics(self, info: Info) -> Annotated["ProcessMetrics", strawberry.lazy("maestro_graph.graphql.metrics")] | None:
        from maestro_graph.graphql import metrics

        return await metrics.latest(info, self.id)

    @strawberry.field(description="One weekly process metric over time, oldest first; `from` and `to` are inclusive.")
    async def metric_series(
        self,
        info: Info,
        name: MetricName,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
    ) -> list[Annotated["MetricPoint", strawberry.lazy("maestro_graph.graphql.metrics")]]:
        from maestro_graph.graphql import metrics

        return await metrics.series(info, self.id, name, from_, to)

    @strawberry.field(description="DORA metrics over the `window` days up to `until` (default: now), "
                                  "from production deployments reported by CI/CD.")
    async def dora(
        self, info: Info, window: int = 30, until: datetime | None = None
    ) -> Annotated["DoraMetrics", strawberry.lazy("maestro_graph.graphql.metrics")]:
        from maestro_graph.graphql import metrics

        return await metrics.dora(info, self.id, window, until)

    @strawberry.field(description="People who are members of this project.")
    async def members(self, info: Info, first: int | None = None, after: str | None = None) -> ProjectMembersConnection:
        edges, total, skip = await _relation_page(info, "project_members", self.id, first, after)
        return connection(ProjectMembersConnection, edges, total, skip, lambda cursor, e: ProjectMemberEdge(
            cursor=cursor, node=Person.from_node(e["node"]), membership=Membership.from_rel(e["rel"])))


@strawberry.type(description="A reusable ML artifact: model, dataset, notebook, pipeline, feature, library, prompt.")
class Artifact(Node):
    kind: str
    version: str | None
    uri: str | None
    description: str | None
    section: str | None
    created_at: datetime | None

    @staticmethod
    def from_node(node: dict) -> Artifact:
        return Artifact(
            id=node["id"],
            name=node.get("name"),
            kind=node.get("kind") or "other",
            version=node.get("version"),
            uri=node.get("uri"),
            description=node.get("description"),
            section=node.get("section"),
            created_at=native(node.get("created_at")),
        )

    @strawberry.field(description="Projects that use this artifact.")
    async def used_by(self, info: Info, first: int | None = None, after: str | None = None) -> ArtifactUsersConnection:
        edges, total, skip = await _relation_page(info, "artifact_used_by", self.id, first, after)
        return connection(ArtifactUsersConnection, edges, total, skip, lambda cursor, e: ArtifactUserEdge(
            cursor=cursor, node=Project.from_node(e["node"]), usage=Usage.from_rel(e["rel"])))

    @strawberry.field(description="Learned impact on project success from the active impact model; null before training.")
    async def impact(self, info: Info) -> Annotated["ArtifactImpact", strawberry.lazy("maestro_graph.graphql.ml")] | None:
        from maestro_graph.graphql import ml

        return await ml.artifact_impact(info, self.id)

    @strawberry.field(description="People who created this artifact.")
    async def creators(self, info: Info, first: int | None = None, after: str | None = None) -> PersonConnection:
        return await _people(info, "artifact_creators", self.id, first, after)

    @strawberry.field(description="Artifacts this one was derived from (its lineage, one step up).")
    async def derived_from(self, info: Info, first: int | None = None, after: str | None = None) -> ArtifactConnection:
        return await _artifacts(info, "artifact_derived_from", self.id, first, after)

    @strawberry.field(description="Artifacts derived from this one (one step down).")
    async def derivatives(self, info: Info, first: int | None = None, after: str | None = None) -> ArtifactConnection:
        return await _artifacts(info, "artifact_derivatives", self.id, first, after)


@strawberry.type(description="A person (or a group acting as one, see kind).")
class Person(Node):
    kind: str
    email_hash: str | None
    created_at: datetime | None

    @staticmethod
    def from_node(node: dict) -> Person:
        return Person(
            id=node["id"],
            name=node.get("name"),
            kind=node.get("kind") or "person",
            email_hash=node.get("email_hash"),
            created_at=native(node.get("created_at")),
        )

    @strawberry.field(description="Projects this person is a member of.")
    async def projects(self, info: Info, first: int | None = None, after: str | None = None) -> PersonProjectsConnection:
        edges, total, skip = await _relation_page(info, "person_projects", self.id, first, after)
        return connection(PersonProjectsConnection, edges, total, skip, lambda cursor, e: PersonProjectEdge(
            cursor=cursor, node=Project.from_node(e["node"]), membership=Membership.from_rel(e["rel"])))

    @strawberry.field(description="Artifacts this person created.")
    async def created(self, info: Info, first: int | None = None, after: str | None = None) -> ArtifactConnection:
        return await _artifacts(info, "person_created", self.id, first, after)

    @strawberry.field(description="Teams this person belongs to.")
    async def teams(self, info: Info, first: int | None = None, after: str | None = None) -> TeamConnection:
        edges, total, skip = await _relation_page(info, "person_teams", self.id, first, after)
        return connection(TeamConnection, edges, total, skip, lambda cursor, e: TeamEdge(cursor=cursor, node=Team.from_node(e["node"])))


@strawberry.type
class Team(Node):
    description: str | None
    created_at: datetime | None

    @staticmethod
    def from_node(node: dict) -> Team:
        return Team(
            id=node["id"],
            name=node.get("name"),
            description=node.get("description"),
            created_at=native(node.get("created_at")),
        )

    @strawberry.field(description="People in this team.")
    async def members(self, info: Info, first: int | None = None, after: str | None = None) -> PersonConnection:
        return await _people(info, "team_members", self.id, first, after)


async def _people(info: Info, relation: str, anchor: str, first: int | None, after: str | None) -> PersonConnection:
    edges, total, skip = await _relation_page(info, relation, anchor, first, after)
    return connection(PersonConnection, edges, total, skip, lambda cursor, e: PersonEdge(cursor=cursor, node=Person.from_node(e["node"])))


async def _artifacts(info: Info, relation: str, anchor: str, first: int | None, after: str | None) -> ArtifactConnection:
    edges, total, skip = await _relation_page(info, relation, anchor, first, after)
    return connection(ArtifactConnection, edges, total, skip, lambda cursor, e: ArtifactEdge(cursor=cursor, node=Artifact.from_node(e["node"])))


@strawberry.type
class ProjectEdge:
    cursor: str
    node: Project


@strawberry.type
class ArtifactEdge:
    cursor: str
    node: Artifact


@strawberry.type
class PersonEdge:
    cursor: str
    node: Person


@strawberry.type
class TeamEdge:
    cursor: str
    node: Team


@strawberry.type
class ProjectUsesEdge:
    cursor: str
    node: Artifact
    usage: Usage


@strawberry.type
class ArtifactUserEdge:
    cursor: str
    node: Project
    usage: Usage


@strawberry.type
class ProjectMemberEdge:
    cursor: str
    node: Person
    membership: Membership


@strawberry.type
class PersonProjectEdge:
    cursor: str
    node: Project
    membership: Membership


@strawberry.type
class ProjectConnection(Connection[ProjectEdge]):
    pass


@strawberry.type
class ArtifactConnection(Connection[ArtifactEdge]):
    pass


@strawberry.type
class PersonConnection(Connection[PersonEdge]):
    pass


@strawberry.type
class TeamConnection(Connection[TeamEdge]):
    pass


@strawberry.type
class ProjectUsesConnection(Connection[ProjectUsesEdge]):
    pass


@strawberry.type
class ArtifactUsersConnection(Connection[ArtifactUserEdge]):
    pass


@strawberry.type
class ProjectMembersConnection(Connection[ProjectMemberEdge]):
    pass


@strawberry.type
class PersonProjectsConnection(Connection[PersonProjectEdge]):
    pass


NODE_TYPES = {"Project": Project, "Artifact": Artifact, "Person": Person, "Team": Team}


def node_from_row(label: str, node: dict) -> Project | Artifact | Person | Team:
    return NODE_TYPES[label].from_node(node)
