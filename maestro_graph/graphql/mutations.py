"""Mutations: validated, idempotent upserts by id and deletes, each in one transaction.

Input is checked before anything is sent to Neo4j; a missing endpoint is found inside
the transaction and aborts it, so a failed mutation writes nothing. A successful one
writes its audit event in the same transaction. Who may call each mutation is declared
on it (see `maestro_graph.auth.permissions`), never checked by hand in a resolver.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import strawberry
from strawberry.types import Info

from maestro_graph import domain
from maestro_graph.auth import scopes
from maestro_graph.auth.permissions import project_manage, project_write, scope
from maestro_graph.domain import InvalidInput, NotFound, hash_email
from maestro_graph.graph_model import CREATED, DERIVED_FROM, IN_TEAM, MEMBER_OF, USES, RelationshipType
from maestro_graph.graphql.audit import audited
from maestro_graph.graphql.types import Artifact, Membership, Person, Project, Team, Usage
from maestro_graph.graphql.vocabularies import ArtifactKind, MemberRole, PersonKind, ProjectStatus
from maestro_graph.repositories import edges, nodes


@strawberry.input(description="Fields left out keep their stored value; an explicit null clears it.")
class ProjectInput:
    id: strawberry.ID
    name: str
    description: str | None = strawberry.UNSET
    status: ProjectStatus | None = strawberry.UNSET
    section: str | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET


@strawberry.input
class ArtifactInput:
    id: strawberry.ID
    name: str
    kind: ArtifactKind
    version: str | None = strawberry.UNSET
    uri: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    section: str | None = strawberry.UNSET


@strawberry.input
class PersonInput:
    id: strawberry.ID
    name: str | None = strawberry.UNSET
    kind: PersonKind = PersonKind("person")
    email: str | None = strawberry.field(default=strawberry.UNSET, description="Stored only as a SHA-256 hash.")


@strawberry.input
class TeamInput:
    id: strawberry.ID
    name: str
    description: str | None = strawberry.UNSET


@strawberry.input
class UsageInput:
    project_id: strawberry.ID
    artifact_id: strawberry.ID
    count: int | None = None
    kind: str | None = None
    context: str | None = None
    used_at: datetime | None = None


@strawberry.type
class UsageRecord:
    project: Project
    artifact: Artifact
    usage: Usage


@strawberry.type
class MembershipRecord:
    person: Person
    project: Project
    membership: Membership


@strawberry.type
class Deleted:
    id: strawberry.ID


def _set(value: Any) -> bool:
    return value is not strawberry.UNSET


def _enum_value(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def project_props(data: ProjectInput) -> tuple[str, dict]:
    props: dict[str, Any] = {"name": domain.valid_name(data.name)}
    if _set(data.description):
        props["description"] = domain.valid_text(data.description, "description")
    if _set(data.status):
        props["status"] = _enum_value(data.status)
    if _set(data.section):
        props["section"] = domain.valid_indexed_text(data.section, "section")
    if _set(data.tags):
        props["tags"] = domain.valid_tags(data.tags)
    return domain.valid_id(data.id), props


def artifact_props(data: ArtifactInput) -> tuple[str, dict]:
    props: dict[str, Any] = {"name": domain.valid_name(data.name), "kind": data.kind.value}
    for field in ("version", "uri", "description", "section"):
        value = getattr(data, field)
        if _set(value):
            props[field] = domain.valid_text(value, field)
    return domain.valid_id(data.id), props


def person_props(data: PersonInput) -> tuple[str, dict]:
    props: dict[str, Any] = {"kind": data.kind.value}
    if _set(data.name):
        props["name"] = None if data.name is None else domain.valid_name(data.name)
    if _set(data.email):
        if data.email is not None and "@" not in data.email:
            raise InvalidInput("email", "is not an email address")
        props["email_hash"] = None if data.email is None else hash_email(data.email)
    return domain.valid_id(data.id), props


def team_props(data: TeamInput) -> tuple[str, dict]:
    props: dict[str, Any] = {"name": domain.valid_name(data.name)}
    if _set(data.description):
        props["description"] = domain.valid_text(data.description, "description")
    return domain.valid_id(data.id), props


class Endpoint(NamedTuple):
    """One end of a relationship as a mutation names it: the node's id, and the argument it came in."""

    id: str
    field: str


def _endpoint(value: str, field: str) -> Endpoint:
    return Endpoint(domain.valid_id(value, field), field)


class Link(NamedTuple):
    """A relationship a mutation writes: the repository's row, and its two ends as named."""

    row: dict[str, Any]
    start: Endpoint
    end: Endpoint

    @property
    def changed(self) -> list[str]:
        """The names of the edge's properties written, for the audit event."""
        return sorted(key for key, value in self.row.items() if value is not None and not key.endswith("_id"))


def usage_link(data: UsageInput) -> Link:
    project, artifact = _endpoint(data.project_id, "projectId"), _endpoint(data.artifact_id, "artifactId")
    row = {
        "project_id": project.id,
        "artifact_id": artifact.id,
        "count": None if data.count is None else domain.valid_count(data.count),
        "kind": None if data.kind is None else domain.valid_name(data.kind, "kind"),
        "context": domain.valid_text(data.context, "context"),
        "used_at": data.used_at,
    }
    return Link(row, project, artifact)


def membership_link(person_id: str, project_id: str, role: MemberRole, since: datetime | None) -> Link:
    person, project = _endpoint(person_id, "personId"), _endpoint(project_id, "projectId")
    return Link({"person_id": person.id, "project_id": project.id, "role": role.value, "since": since}, person, project)


async def missing_endpoints(tx, rel: RelationshipType, links: list[Link]) -> list[NotFound | None]:
    """For each of `links`, the first of its ends that does not exist, or None when both do;
    asked only once a write matched nothing. Two queries, however many links."""
    starts = set(await nodes.existing_ids(tx, rel.start.label, [link.start.id for link in links]))
    ends = set(await nodes.existing_ids(tx, rel.end.label, [link.end.id for link in links]))
    missing: list[NotFound | None] = []
    for link in links:
        if link.start.id not in starts:
            missing.append(NotFound(rel.start.label, link.start.id, link.start.field))
        elif link.end.id not in ends:
            missing.append(NotFound(rel.end.label, link.end.id, link.end.field))
        else:
            missing.append(None)
    return missing


async def _missing_endpoint(tx, rel: RelationshipType, start: Endpoint, end: Endpoint) -> NotFound | None:
    return (await missing_endpoints(tx, rel, [Link({}, start, end)]))[0]


async def _run(info: Info, work, targets: list[str], changed: list[str], labels: list[str]) -> Any:
    """Run a unit of write work and its audit event (`labels`: the targets' labels); a later
    read in the request sees the write."""
    result = await info.context.db.write(audited(info, work, targets, changed, labels))
    info.context.loaders.forget()
    return result


async def _upsert_node(info: Info, label: str, build, data) -> dict:
    node_id, props = build(data)

    async def work(tx):
        return await nodes.upsert(tx, label, node_id, props)

    return await _run(info, work, [node_id], sorted(props), [label])


async def _link(info: Info, rel: RelationshipType, link: Link, answer):
    """Write the `rel` edge `link` describes, then answer `answer(linked)` from the edge and
    endpoints as the write returned them."""
    start, end = link.start, link.end

    async def work(tx):
        linked = await edges.upsert_one(tx, rel, link.row)
        if linked is None:
            raise await _missing_endpoint(tx, rel, start, end) or NotFound(rel.start.label, start.id)
        return answer(linked)

    return await _run(info, work, [start.id, end.id], link.changed, [rel.start.label, rel.end.label])


async def _delete_node(info: Info, label: str, node_id: str) -> Deleted:
    node_id = domain.valid_id(node_id)

    async def work(tx):
        if await nodes.delete(tx, label, node_id) is None:
            raise NotFound(label, node_id)
        return Deleted(id=strawberry.ID(node_id))

    return await _run(info, work, [node_id], [], [label])


async def _unlink(info: Info, rel: RelationshipType, start: Endpoint, end: Endpoint) -> Deleted:
    edge_id = f"{start.id}->{end.id}"

    async def work(tx):
        if not await edges.delete(tx, rel, start.id, end.id):
            raise await _missing_endpoint(tx, rel, start, end) or NotFound(rel.name, edge_id)
        return Deleted(id=strawberry.ID(edge_id))

    return await _run(info, work, [start.id, end.id], [], [rel.start.label, rel.end.label])


# Every payload is nullable so that each field reports its own outcome: a non-null payload
# that failed would null the whole `data`, telling the caller nothing was done although the
# fields before it were written. (Permissions are checked for all fields before the first
# runs: see `maestro_graph.graphql.mutation_authorization`.)
@strawberry.type(
    description="Writes. Root fields run in order, each in its own transaction: a field that fails is "
    "null with an error and wrote nothing; the fields before it stay written. If any field "
    "is forbidden, none runs."
)
class Mutation:
    @strawberry.mutation(
        description="Create or update a project by id.", extensions=project_write(lambda a: a["input"].id)
    )
    async def upsert_project(self, info: Info, input: ProjectInput) -> Project | None:
        return Project.from_node(await _upsert_node(info, "Project", project_props, input))

    @strawberry.mutation(description="Create or update an artifact by id.", extensions=scope(scopes.WRITE))
    async def upsert_artifact(self, info: Info, input: ArtifactInput) -> Artifact | None:
        return Artifact.from_node(await _upsert_node(info, "Artifact", artifact_props, input))

    @strawberry.mutation(description="Create or update a person by id.", extensions=scope(scopes.ADMIN))
    async def upsert_person(self, info: Info, input: PersonInput) -> Person | None:
        return Person.from_node(await _upsert_node(info, "Person", person_props, input))

    @strawberry.mutation(description="Create or update a team by id.", extensions=scope(scopes.ADMIN))
    async def upsert_team(self, info: Info, input: TeamInput) -> Team | None:
        return Team.from_node(await _upsert_node(info, "Team", team_props, input))

    @strawberry.mutation(
        description="Record that a project uses an artifact; repeating it changes nothing.",
        extensions=project_write(lambda a: a["input"].project_id),
    )
    async def record_usage(self, info: Info, input: UsageInput) -> UsageRecord | None:
        link = usage_link(input)

        def answer(linked: edges.Linked) -> UsageRecord:
            return UsageRecord(
                project=Project.from_node(linked.start),
                artifact=Artifact.from_node(linked.end),
                usage=Usage.from_rel(linked.rel),
            )

        return await _link(info, USES, link, answer)

    @strawberry.mutation(
        description="Add a person to a project with a role (roles accumulate).",
        extensions=project_manage(lambda a: a["project_id"]),
    )
    async def add_member(
        self,
        info: Info,
        person_id: strawberry.ID,
        project_id: strawberry.ID,
        role: MemberRole,
        since: datetime | None = None,
    ) -> MembershipRecord | None:
        link = membership_link(person_id, project_id, role, since)

        def answer(linked: edges.Linked) -> MembershipRecord:
            return MembershipRecord(
                person=Person.from_node(linked.start),
                project=Project.from_node(linked.end),
                membership=Membership.from_rel(linked.rel),
            )

        return await _link(info, MEMBER_OF, link, answer)

    @strawberry.mutation(
        description="Record that `artifactId` was derived from `sourceId` (e.g. a fine-tune of a base model).",
        extensions=scope(scopes.WRITE),
    )
    async def link_derivation(
        self, info: Info, artifact_id: strawberry.ID, source_id: strawberry.ID
    ) -> Artifact | None:
        artifact, source = _endpoint(artifact_id, "artifactId"), _endpoint(source_id, "sourceId")
        if artifact.id == source.id:
            raise InvalidInput("sourceId", "an artifact cannot be derived from itself")
        link = Link({"artifact_id": artifact.id, "source_id": source.id}, artifact, source)

        return await _link(info, DERIVED_FROM, link, lambda linked: Artifact.from_node(linked.start))

    @strawberry.mutation(description="Record that a person created an artifact.", extensions=scope(scopes.WRITE))
    async def add_creator(self, info: Info, person_id: strawberry.ID, artifact_id: strawberry.ID) -> Artifact | None:
        person, artifact = _endpoint(person_id, "personId"), _endpoint(artifact_id, "artifactId")
        link = Link({"person_id": person.id, "artifact_id": artifact.id, "at": None}, person, artifact)

        return await _link(info, CREATED, link, lambda linked: Artifact.from_node(linked.end))

    @strawberry.mutation(description="Put a person in a team.", extensions=scope(scopes.ADMIN))
    async def add_team_member(self, info: Info, person_id: strawberry.ID, team_id: strawberry.ID) -> Team | None:
        person, team = _endpoint(person_id, "personId"), _endpoint(team_id, "teamId")
        link = Link({"person_id": person.id, "team_id": team.id}, person, team)

        return await _link(info, IN_TEAM, link, lambda linked: Team.from_node(linked.end))

    @strawberry.mutation(
        description="Delete a project and its relationships.", extensions=project_manage(lambda a: a["id"])
    )
    async def delete_project(self, info: Info, id: strawberry.ID) -> Deleted | None:
        return await _delete_node(info, "Project", id)

    @strawberry.mutation(description="Delete an artifact and its relationships.", extensions=scope(scopes.ADMIN))
    async def delete_artifact(self, info: Info, id: strawberry.ID) -> Deleted | None:
        return await _delete_node(info, "Artifact", id)

    @strawberry.mutation(description="Delete a person and their relationships.", extensions=scope(scopes.ADMIN))
    async def delete_person(self, info: Info, id: strawberry.ID) -> Deleted | None:
        return await _delete_node(info, "Person", id)

    @strawberry.mutation(description="Delete a team and its relationships.", extensions=scope(scopes.ADMIN))
    async def delete_team(self, info: Info, id: strawberry.ID) -> Deleted | None:
        return await _delete_node(info, "Team", id)

    @strawberry.mutation(extensions=project_write(lambda a: a["project_id"]))
    async def remove_usage(self, info: Info, project_id: strawberry.ID, artifact_id: strawberry.ID) -> Deleted | None:
        return await _unlink(info, USES, _endpoint(project_id, "projectId"), _endpoint(artifact_id, "artifactId"))

    @strawberry.mutation(extensions=project_manage(lambda a: a["project_id"]))
    async def remove_member(self, info: Info, person_id: strawberry.ID, project_id: strawberry.ID) -> Deleted | None:
        return await _unlink(info, MEMBER_OF, _endpoint(person_id, "personId"), _endpoint(project_id, "projectId"))

    @strawberry.mutation(extensions=scope(scopes.WRITE))
    async def unlink_derivation(
        self, info: Info, artifact_id: strawberry.ID, source_id: strawberry.ID
    ) -> Deleted | None:
        return await _unlink(info, DERIVED_FROM, _endpoint(artifact_id, "artifactId"), _endpoint(source_id, "sourceId"))

    @strawberry.mutation(extensions=scope(scopes.WRITE))
    async def remove_creator(self, info: Info, person_id: strawberry.ID, artifact_id: strawberry.ID) -> Deleted | None:
        return await _unlink(info, CREATED, _endpoint(person_id, "personId"), _endpoint(artifact_id, "artifactId"))

    @strawberry.mutation(extensions=scope(scopes.ADMIN))
    async def remove_team_member(self, info: Info, person_id: strawberry.ID, team_id: strawberry.ID) -> Deleted | None:
        return await _unlink(info, IN_TEAM, _endpoint(person_id, "personId"), _endpoint(team_id, "teamId"))
