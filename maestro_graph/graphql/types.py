"""The GraphQL object types of the graph's nodes: thin dataclasses built from graph rows;
relationship fields resolve through the request's DataLoaders."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from maestro_graph.auth.permissions import admin_only_value
from maestro_graph.db.values import native
from maestro_graph.graphql import model_answers, process_metrics, reach
from maestro_graph.graphql.connections import Connection, Edge, connection, node_connection
from maestro_graph.graphql.model_answers import ArtifactImpact, OutcomePrediction
from maestro_graph.graphql.process_metrics import DoraMetrics, MetricName, MetricPoint, ProcessMetrics


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


# A node's properties, or a {node, rel} pair of a relation page, as the repositories read them.
Row = dict[str, Any]


async def _relation_page(info: Info, name: str, anchor: str, first: int | None, after: str | None) -> Any:
    """The page `first`/`after` of relation `name` from node `anchor`, as its connection."""
    win = info.context.window(first, after)
    edges, total = await info.context.loaders.page.load((name, anchor, win.skip, win.limit))
    return RELATION_PAGES[name](edges, total, win.skip)


@strawberry.interface(description="Anything in the graph with an id and a name.")
class Node:
    id: strawberry.ID
    name: str | None


@strawberry.enum(description="Which way to walk DERIVED_FROM.")
class LineageDirection(Enum):
    UPSTREAM = strawberry.enum_value("upstream", description="What the artifact was derived from, and so on up.")
    DOWNSTREAM = strawberry.enum_value("downstream", description="What was derived from the artifact, and so on down.")


@strawberry.type(description="A piece of ML work whose outcome we want to explain.")
class Project(Node):
    description: str | None
    status: str | None
    section: str | None
    tags: list[str]
    success: bool | None = strawberry.field(
        description="The outcome label: true succeeded, false failed, null unknown."
    )
    created_at: datetime | None

    @staticmethod
    def from_node(node: Row) -> Project:
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
        return await _relation_page(info, "project_uses", self.id, first, after)

    @strawberry.field(description="Projects nearest in meaning (text embeddings), most similar first.")
    async def similar_projects(self, info: Info, first: int = 5) -> list[SimilarProject]:
        found = await model_answers.similar_project_rows(info, self.id, first)
        return [SimilarProject(project=Project.from_node(s["node"]), score=s["score"]) for s in found]

    @strawberry.field(description="Predicted chance of success from the active outcome model; null before training.")
    async def outcome_prediction(self, info: Info) -> OutcomePrediction | None:
        return await model_answers.outcome_prediction(info, self.id)

    @strawberry.field(
        description="Latest weekly process metrics from the project's git history; null before import-git."
    )
    async def metrics(self, info: Info) -> ProcessMetrics | None:
        return await process_metrics.latest(info, self.id)

    @strawberry.field(description="One weekly process metric over time, oldest first; `from` and `to` are inclusive.")
    async def metric_series(
        self,
        info: Info,
        name: MetricName,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
    ) -> list[MetricPoint]:
        return await process_metrics.series(info, self.id, name, from_, to)

    @strawberry.field(
        description="DORA metrics over the `window` days up to `until` (default: now), "
        "from production deployments reported by CI/CD."
    )
    async def dora(self, info: Info, window: int = 30, until: datetime | None = None) -> DoraMetrics:
        return await process_metrics.dora(info, self.id, window, until)

    @strawberry.field(description="People who are members of this project.")
    async def members(self, info: Info, first: int | None = None, after: str | None = None) -> ProjectMembersConnection:
        return await _relation_page(info, "project_members", self.id, first, after)


@strawberry.type(description="A reusable ML artifact: model, dataset, notebook, pipeline, feature, library, prompt.")
class Artifact(Node):
    kind: str
    version: str | None
    uri: str | None
    description: str | None
    section: str | None
    created_at: datetime | None
    stored: strawberry.Private[Row]

    @staticmethod
    def from_node(node: Row) -> Artifact:
        return Artifact(
            id=node["id"],
            name=node.get("name"),
            kind=node.get("kind") or "other",
            version=node.get("version"),
            uri=node.get("uri"),
            description=node.get("description"),
            section=node.get("section"),
            created_at=native(node.get("created_at")),
            stored=node,
        )

    @strawberry.field(
        description="Why the artifact should no longer be used, and what instead; null unless deprecated."
    )
    def deprecation(self) -> ArtifactDeprecation | None:
        return ArtifactDeprecation.from_node(self.stored)

    @strawberry.field(
        description=f"Projects that use this artifact or one derived from it within `depth` steps (1 to "
        f"{reach.MAX_DEPTH}), shallowest first, then by name."
    )
    async def dependents(
        self, info: Info, depth: int = 3, first: int | None = None, after: str | None = None
    ) -> Connection[Dependent]:
        page = await reach.dependents(info, self.id, depth, first, after)
        return node_connection(
            page.rows,
            page.total,
            page.skip,
            lambda r: Dependent(
                project=Project.from_node(r["project"]), depth=r["depth"], path=artifact_path(r["via"], page.nodes)
            ),
        )

    @strawberry.field(
        description=f"Artifacts up or down this one's DERIVED_FROM lineage within `depth` steps (1 to "
        f"{reach.MAX_DEPTH}), nearest first, then by name."
    )
    async def lineage(
        self,
        info: Info,
        direction: LineageDirection,
        depth: int = 3,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[LineageStep]:
        way = "upstream" if direction is LineageDirection.UPSTREAM else "downstream"
        page = await reach.lineage(info, self.id, way, depth, first, after)
        return node_connection(
            page.rows,
            page.total,
            page.skip,
            lambda r: LineageStep(
                artifact=Artifact.from_node(r["artifact"]), depth=r["depth"], path=artifact_path(r["via"], page.nodes)
            ),
        )

    @strawberry.field(description="Projects that use this artifact.")
    async def used_by(self, info: Info, first: int | None = None, after: str | None = None) -> ArtifactUsersConnection:
        return await _relation_page(info, "artifact_used_by", self.id, first, after)

    @strawberry.field(
        description="Learned impact on project success from the active impact model; null before training."
    )
    async def impact(self, info: Info) -> ArtifactImpact | None:
        return await model_answers.artifact_impact(info, self.id)

    @strawberry.field(description="People who created this artifact.")
    async def creators(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Person]:
        return await _relation_page(info, "artifact_creators", self.id, first, after)

    @strawberry.field(description="Artifacts this one was derived from (its lineage, one step up).")
    async def derived_from(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Artifact]:
        return await _relation_page(info, "artifact_derived_from", self.id, first, after)

    @strawberry.field(description="Artifacts derived from this one (one step down).")
    async def derivatives(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Artifact]:
        return await _relation_page(info, "artifact_derivatives", self.id, first, after)


def artifact_path(via: list[str], found: dict[str, Row]) -> list[Artifact]:
    """The artifacts of a path of ids; one deleted between two reads drops out rather than failing the answer."""
    return [Artifact.from_node(found[i]) for i in via if i in found]


@strawberry.type(description="A project that uses an artifact, or one derived from it.")
class Dependent:
    project: Project
    depth: int = strawberry.field(description="1: uses the artifact; d: uses one derived from it in d-1 steps.")
    path: list[Artifact] = strawberry.field(
        description="From the artifact the project uses, through each one it derives from, to this one."
    )


@strawberry.type(description="An artifact on the lineage of another, `depth` DERIVED_FROM steps away.")
class LineageStep:
    artifact: Artifact
    depth: int
    path: list[Artifact] = strawberry.field(description="From the first artifact to this one, both included.")


@strawberry.type(description="An artifact the recommender ranks for a project in place of a deprecated one.")
class Alternative:
    artifact: Artifact
    rank: int = strawberry.field(description="Its rank among the project's recommendations (1 = best).")
    score: float


@strawberry.type(description="Why an artifact should no longer be used, and what to use instead.")
class ArtifactDeprecation:
    reason: str
    deprecated_at: datetime | None
    artifact_id: strawberry.Private[str]
    replaced_by: strawberry.Private[str | None]

    @staticmethod
    def from_node(node: Row) -> ArtifactDeprecation | None:
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

    @strawberry.field(
        description="Projects still using the deprecated artifact, by name, each with up to `alternatives` "
        f"(1 to {reach.MAX_ALTERNATIVES}) ranked replacements."
    )
    async def affected_projects(
        self, info: Info, first: int | None = None, after: str | None = None, alternatives: int = 5
    ) -> DeprecationNoticeConnection:
        page = await reach.deprecated_users(info, self.artifact_id, first, after, alternatives)
        return connection(
            DeprecationNoticeConnection,
            page.rows,
            page.total,
            page.skip,
            lambda cursor, r: DeprecationNoticeEdge(
                cursor=cursor,
                node=Project.from_node(r["node"]),
                usage=Usage.from_rel(r["rel"]),
                alternatives=[
                    Alternative(artifact=Artifact.from_node(a["node"]), rank=a["rank"], score=a["score"])
                    for a in page.extra.get(r["node"]["id"], [])
                ],
            ),
        )


@strawberry.type(description="A person (or a group acting as one, see kind).")
class Person(Node):
    kind: str
    # Unsalted, so a list of candidate addresses reverses it: only admins see it. The stored
    # hash stays as it is (the git importer matches people by it).
    email_hash: str | None = strawberry.field(
        description="SHA-256 of the email address; null unless the caller has the admin scope.",
        extensions=admin_only_value(),
    )
    created_at: datetime | None

    @staticmethod
    def from_node(node: Row) -> Person:
        return Person(
            id=node["id"],
            name=node.get("name"),
            kind=node.get("kind") or "person",
            email_hash=node.get("email_hash"),
            created_at=native(node.get("created_at")),
        )

    @strawberry.field(description="Projects this person is a member of.")
    async def projects(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> PersonProjectsConnection:
        return await _relation_page(info, "person_projects", self.id, first, after)

    @strawberry.field(description="Artifacts this person created.")
    async def created(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Artifact]:
        return await _relation_page(info, "person_created", self.id, first, after)

    @strawberry.field(description="Teams this person belongs to.")
    async def teams(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Team]:
        return await _relation_page(info, "person_teams", self.id, first, after)


@strawberry.type
class Team(Node):
    description: str | None
    created_at: datetime | None

    @staticmethod
    def from_node(node: Row) -> Team:
        return Team(
            id=node["id"],
            name=node.get("name"),
            description=node.get("description"),
            created_at=native(node.get("created_at")),
        )

    @strawberry.field(description="People in this team.")
    async def members(self, info: Info, first: int | None = None, after: str | None = None) -> Connection[Person]:
        return await _relation_page(info, "team_members", self.id, first, after)


@strawberry.type
class SimilarProject:
    project: Project
    score: float = strawberry.field(description="Cosine similarity of the two projects' text embeddings.")


# Edges that carry the relationship's properties beside the node, and their connections.


@strawberry.type
class ProjectUsesEdge(Edge[Artifact]):
    usage: Usage


@strawberry.type
class ProjectUsesConnection(Connection[Artifact]):
    edges: Sequence[ProjectUsesEdge]


@strawberry.type
class ArtifactUserEdge(Edge[Project]):
    usage: Usage


@strawberry.type
class ArtifactUsersConnection(Connection[Project]):
    edges: Sequence[ArtifactUserEdge]


@strawberry.type
class ProjectMemberEdge(Edge[Person]):
    membership: Membership


@strawberry.type
class ProjectMembersConnection(Connection[Person]):
    edges: Sequence[ProjectMemberEdge]


@strawberry.type
class PersonProjectEdge(Edge[Project]):
    membership: Membership


@strawberry.type
class PersonProjectsConnection(Connection[Project]):
    edges: Sequence[PersonProjectEdge]


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


GraphNode = Project | Artifact | Person | Team

# The GraphQL type of each node label of graph_model.NODE_TYPES.
NODE_TYPES: dict[str, type[GraphNode]] = {"Project": Project, "Artifact": Artifact, "Person": Person, "Team": Team}


# Each relation's page as its connection, from the rows the repositories read: the resolvers
# above build their answers with these, and so does the compiled path (`compiled_reads`),
# from the same rows.


def _project_uses(edges: list[Row], total: int, skip: int) -> Any:
    return connection(
        ProjectUsesConnection,
        edges,
        total,
        skip,
        lambda cursor, e: ProjectUsesEdge(
            cursor=cursor, node=Artifact.from_node(e["node"]), usage=Usage.from_rel(e["rel"])
        ),
    )


def _project_members(edges: list[Row], total: int, skip: int) -> Any:
    return connection(
        ProjectMembersConnection,
        edges,
        total,
        skip,
        lambda cursor, e: ProjectMemberEdge(
            cursor=cursor, node=Person.from_node(e["node"]), membership=Membership.from_rel(e["rel"])
        ),
    )


def _artifact_used_by(edges: list[Row], total: int, skip: int) -> Any:
    return connection(
        ArtifactUsersConnection,
        edges,
        total,
        skip,
        lambda cursor, e: ArtifactUserEdge(
            cursor=cursor, node=Project.from_node(e["node"]), usage=Usage.from_rel(e["rel"])
        ),
    )


def _artifact_creators(edges: list[Row], total: int, skip: int) -> Any:
    return node_connection(edges, total, skip, lambda e: Person.from_node(e["node"]))


def _artifact_derived_from(edges: list[Row], total: int, skip: int) -> Any:
    return node_connection(edges, total, skip, lambda e: Artifact.from_node(e["node"]))


def _artifact_derivatives(edges: list[Row], total: int, skip: int) -> Any:
    return node_connection(edges, total, skip, lambda e: Artifact.from_node(e["node"]))


def _person_projects(edges: list[Row], total: int, skip: int) -> Any:
    return connection(
        PersonProjectsConnection,
        edges,
        total,
        skip,
        lambda cursor, e: PersonProjectEdge(
            cursor=cursor, node=Project.from_node(e["node"]), membership=Membership.from_rel(e["rel"])
        ),
    )


def _person_created(edges: list[Row], total: int, skip: int) -> Any:
    return node_connection(edges, total, skip, lambda e: Artifact.from_node(e["node"]))


def _person_teams(edges: list[Row], total: int, skip: int) -> Any:
    return node_connection(edges, total, skip, lambda e: Team.from_node(e["node"]))


def _team_members(edges: list[Row], total: int, skip: int) -> Any:
    return node_connection(edges, total, skip, lambda e: Person.from_node(e["node"]))


RELATION_PAGES: dict[str, Callable[[list[Row], int, int], Any]] = {
    "project_uses": _project_uses,
    "project_members": _project_members,
    "artifact_used_by": _artifact_used_by,
    "artifact_creators": _artifact_creators,
    "artifact_derived_from": _artifact_derived_from,
    "artifact_derivatives": _artifact_derivatives,
    "person_projects": _person_projects,
    "person_created": _person_created,
    "person_teams": _person_teams,
    "team_members": _team_members,
}


def node_from_row(label: str, node: Row) -> GraphNode:
    return NODE_TYPES[label].from_node(node)
