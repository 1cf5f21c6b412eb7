"""Mutations: validated, idempotent upserts by id and deletes, each in one transaction.

Input is checked before anything is sent to Neo4j; a missing endpoint is found inside
the transaction and aborts it, so a failed mutation writes nothing. A successful one
writes its audit event in the same transaction. Who may call each mutation is declared
on it (see `maestro_graph.auth.permissions`), never checked by hand in a resolver.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from maestro_graph import domain
from maestro_graph.auth import scopes
from maestro_graph.auth.permissions import project_manage, project_write, scope
from maestro_graph.db.graph import fetch
from maestro_graph.domain import InvalidInput, NotFound, hash_email
from maestro_graph.graphql.audit import audited
from maestro_graph.graphql.errors import to_graphql_error
from maestro_graph.graphql.types import (
    Artifact,
    ArtifactKind,
    Membership,
    MemberRole,
    Person,
    PersonKind,
    Project,
    ProjectStatus,
    Team,
    Usage,
)
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
    kind: PersonKind = PersonKind.PERSON
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
        props["section"] = domain.valid_text(data.section, "section")
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


async def _missing_endpoint(tx, endpoints: list[tuple[str, str, str]]) -> NotFound | None:
    """The first absent (label, id, field), or None when all exist; only asked once a write matched nothing."""
    for label, node_id, field in endpoints:
        rows = await fetch(tx, nodes.EXISTING_IDS[label], ids=[node_id])
        if not rows[0]["ids"]:
            return NotFound(label, node_id, field)
    return None


async def _run(info: Info, work, targets: list[str], changed: list[str]) -> Any:
    """Run a unit of write work and its audit event; domain errors become GraphQL errors with codes."""
    try:
        result = await info.context.db.write(audited(info, work, targets, changed))
    except (InvalidInput, NotFound) as error:
        raise to_graphql_error(error) from None
    info.context.loaders.forget()
    return result


async def _upsert_node(info: Info, label: str, build, data) -> dict:
    try:
        node_id, props = build(data)
    except InvalidInput as error:
        raise to_graphql_error(error) from None

    async def work(tx):
        return await nodes.upsert(tx, label, node_id, props)

    return await _run(info, work, [node_id], sorted(props))


async def _link(info: Info, query: str, row: dict, endpoints: list[tuple[str, str, str]], read_back):
    async def work(tx):
        if not await edges.upsert_one(tx, query, row):
            raise await _missing_endpoint(tx, endpoints) or NotFound(endpoints[0][0], endpoints[0][1])
        return await read_back(tx)

    changed = sorted(key for key, value in row.items() if value is not None and not key.endswith("_id"))
    return await _run(info, work, [endpoint[1] for endpoint in endpoints], changed)


async def _delete_node(info: Info, label: str, node_id: str) -> Deleted:
    try:
        node_id = domain.valid_id(node_id)
    except InvalidInput as error:
        raise to_graphql_error(error) from None

    async def work(tx):
        if await nodes.delete(tx, label, node_id) is None:
            raise NotFound(label, node_id)
        return Deleted(id=node_id)

    return await _run(info, work, [node_id], [])


async def _unlink(info: Info, rel_type: str, a: tuple[str, str, str], b: tuple[str, str, str]) -> Deleted:
    try:
        a_id, b_id = domain.valid_id(a[1], a[2]), domain.valid_id(b[1], b[2])
    except InvalidInput as error:
        raise to_graphql_error(error) from None

    async def work(tx):
        if not await edges.delete(tx, rel_type, a_id, b_id):
            missing = await _missing_endpoint(tx, [(a[0], a_id, a[2]), (b[0], b_id, b[2])])
            raise missing or NotFound(rel_type, f"{a_id}->{b_id}")
        return Deleted(id=f"{a_id}->{b_id}")

    return await _run(info, work, [a_id, b_id], [])


async def _two_nodes(tx, a: tuple[str, str], b: tuple[str, str]) -> tuple[dict, dict]:
    first = await nodes.get_many(tx, a[0], [a[1]])
    second = await nodes.get_many(tx, b[0], [b[1]])
    return first[a[1]], second[b[1]]


_USES_PROPS = "MATCH (:Project {id: $a})-[r:USES]->(:Artifact {id: $b}) RETURN properties(r) AS rel"
_MEMBER_PROPS = "MATCH (:Person {id: $a})-[r:MEMBER_OF]->(:Project {id: $b}) RETURN properties(r) AS rel"


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create or update a project by id.", extensions=project_write(lambda a: a["input"].id))
    async def upsert_project(self, info: Info, input: ProjectInput) -> Project:
        return Project.from_node(await _upsert_node(info, "Project", project_props, input))

    @strawberry.mutation(description="Create or update an artifact by id.", extensions=scope(scopes.WRITE))
    async def upsert_artifact(self, info: Info, input: ArtifactInput) -> Artifact:
        return Artifact.from_node(await _upsert_node(info, "Artifact", artifact_props, input))

    @strawberry.mutation(description="Create or update a person by id.", extensions=scope(scopes.ADMIN))
    async def upsert_person(self, info: Info, input: PersonInput) -> Person:
        return Person.from_node(await _upsert_node(info, "Person", person_props, input))

    @strawberry.mutation(description="Create or update a team by id.", extensions=scope(scopes.ADMIN))
    async def upsert_team(self, info: Info, input: TeamInput) -> Team:
        return Team.from_node(await _upsert_node(info, "Team", team_props, input))

    @strawberry.mutation(description="Record that a project uses an artifact; repeating it changes nothing.",
                          extensions=project_write(lambda a: a["input"].project_id))
    async def record_usage(self, info: Info, input: UsageInput) -> UsageRecord:
        try:
            row = {
                "project_id": domain.valid_id(input.project_id, "projectId"),
                "artifact_id": domain.valid_id(input.artifact_id, "artifactId"),
                "count": None if input.count is None else domain.valid_count(input.count),
                "kind": None if input.kind is None else domain.valid_name(input.kind, "kind"),
                "context": domain.valid_text(input.context, "context"),
                "used_at": input.used_at,
            }
        except InvalidInput as error:
            raise to_graphql_error(error) from None

        async def read_back(tx):
            project, artifact = await _two_nodes(tx, ("Project", row["project_id"]), ("Artifact", row["artifact_id"]))
            rel = (await fetch(tx, _USES_PROPS, a=row["project_id"], b=row["artifact_id"]))[0]["rel"]
            return UsageRecord(project=Project.from_node(project), artifact=Artifact.from_node(artifact), usage=Usage.from_rel(rel))

        endpoints = [("Project", row["project_id"], "projectId"), ("Artifact", row["artifact_id"], "artifactId")]
        return await _link(info, edges.UPSERT_USES, row, endpoints, read_back)

    @strawberry.mutation(description="Add a person to a project with a role (roles accumulate).",
                          extensions=project_manage(lambda a: a["project_id"]))
    async def add_member(
        self, info: Info, person_id: strawberry.ID, project_id: strawberry.ID, role: MemberRole, since: datetime | None = None
    ) -> MembershipRecord:
        try:
            row = {
                "person_id": domain.valid_id(person_id, "personId"),
                "project_id": domain.valid_id(project_id, "projectId"),
                "role": role.value,
                "since": since,
            }
        except InvalidInput as error:
            raise to_graphql_error(error) from None

        async def read_back(tx):
            person, project = await _two_nodes(tx, ("Person", row["person_id"]), ("Project", row["project_id"]))
            rel = (await fetch(tx, _MEMBER_PROPS, a=row["person_id"], b=row["project_id"]))[0]["rel"]
            return MembershipRecord(person=Person.from_node(person), project=Project.from_node(project), membership=Membership.from_rel(rel))

        endpoints = [("Person", row["person_id"], "personId"), ("Project", row["project_id"], "projectId")]
        return await _link(info, edges.UPSERT_MEMBER, row, endpoints, read_back)

    @strawberry.mutation(description="Record that `artifactId` was derived from `sourceId` (e.g. a fine-tune of a base model).",
                          extensions=scope(scopes.WRITE))
    async def link_derivation(self, info: Info, artifact_id: strawberry.ID, source_id: strawberry.ID) -> Artifact:
        try:
            row = {"artifact_id": domain.valid_id(artifact_id, "artifactId"), "source_id": domain.valid_id(source_id, "sourceId")}
            if row["artifact_id"] == row["source_id"]:
                raise InvalidInput("sourceId", "an artifact cannot be derived from itself")
        except InvalidInput as error:
            raise to_graphql_error(error) from None

        async def read_back(tx):
            return Artifact.from_node((await nodes.get_many(tx, "Artifact", [row["artifact_id"]]))[row["artifact_id"]])

        endpoints = [("Artifact", row["artifact_id"], "artifactId"), ("Artifact", row["source_id"], "sourceId")]
        return await _link(info, edges.UPSERT_DERIVED, row, endpoints, read_back)

    @strawberry.mutation(description="Record that a person created an artifact.", extensions=scope(scopes.WRITE))
    async def add_creator(self, info: Info, person_id: strawberry.ID, artifact_id: strawberry.ID) -> Artifact:
        try:
            row = {"person_id": domain.valid_id(person_id, "personId"), "artifact_id": domain.valid_id(artifact_id, "artifactId"), "at": None}
        except InvalidInput as error:
            raise to_graphql_error(error) from None

        async def read_back(tx):
            return Artifact.from_node((await nodes.get_many(tx, "Artifact", [row["artifact_id"]]))[row["artifact_id"]])

        endpoints = [("Person", row["person_id"], "personId"), ("Artifact", row["artifact_id"], "artifactId")]
        return await _link(info, edges.UPSERT_CREATED, row, endpoints, read_back)

    @strawberry.mutation(description="Put a person in a team.", extensions=scope(scopes.ADMIN))
    async def add_team_member(self, info: Info, person_id: strawberry.ID, team_id: strawberry.ID) -> Team:
        try:
            row = {"person_id": domain.valid_id(person_id, "personId"), "team_id": domain.valid_id(team_id, "teamId")}
        except InvalidInput as error:
            raise to_graphql_error(error) from None

        async def read_back(tx):
            return Team.from_node((await nodes.get_many(tx, "Team", [row["team_id"]]))[row["team_id"]])

        endpoints = [("Person", row["person_id"], "personId"), ("Team", row["team_id"], "teamId")]
        return await _link(info, edges.UPSERT_IN_TEAM, row, endpoints, read_back)

    @strawberry.mutation(description="Delete a project and its relationships.", extensions=project_manage(lambda a: a["id"]))
    async def delete_project(self, info: Info, id: strawberry.ID) -> Deleted:
        return await _delete_node(info, "Project", id)

    @strawberry.mutation(description="Delete an artifact and its relationships.", extensions=scope(scopes.ADMIN))
    async def delete_artifact(self, info: Info, id: strawberry.ID) -> Deleted:
        return await _delete_node(info, "Artifact", id)

    @strawberry.mutation(description="Delete a person and their relationships.", extensions=scope(scopes.ADMIN))
    async def delete_person(self, info: Info, id: strawberry.ID) -> Deleted:
        return await _delete_node(info, "Person", id)

    @strawberry.mutation(description="Delete a team and its relationships.", extensions=scope(scopes.ADMIN))
    async def delete_team(self, info: Info, id: strawberry.ID) -> Deleted:
        return await _delete_node(info, "Team", id)

    @strawberry.mutation(extensions=project_write(lambda a: a["project_id"]))
    async def remove_usage(self, info: Info, project_id: strawberry.ID, artifact_id: strawberry.ID) -> Deleted:
        return await _unlink(info, "USES", ("Project", project_id, "projectId"), ("Artifact", artifact_id, "artifactId"))

    @strawberry.mutation(extensions=project_manage(lambda a: a["project_id"]))
    async def remove_member(self, info: Info, person_id: strawberry.ID, project_id: strawberry.ID) -> Deleted:
        return await _unlink(info, "MEMBER_OF", ("Person", person_id, "personId"), ("Project", project_id, "projectId"))

    @strawberry.mutation(extensions=scope(scopes.WRITE))
    async def unlink_derivation(self, info: Info, artifact_id: strawberry.ID, source_id: strawberry.ID) -> Deleted:
        return await _unlink(info, "DERIVED_FROM", ("Artifact", artifact_id, "artifactId"), ("Artifact", source_id, "sourceId"))

    @strawberry.mutation(extensions=scope(scopes.WRITE))
    async def remove_creator(self, info: Info, person_id: strawberry.ID, artifact_id: strawberry.ID) -> Deleted:
        return await _unlink(info, "CREATED", ("Person", person_id, "personId"), ("Artifact", artifact_id, "artifactId"))

    @strawberry.mutation(extensions=scope(scopes.ADMIN))
    async def remove_team_member(self, info: Info, person_id: strawberry.ID, team_id: strawberry.ID) -> Deleted:
        return await _unlink(info, "IN_TEAM", ("Person", person_id, "personId"), ("Team", team_id, "teamId"))
