"""Who may do what, in one place: Strawberry permission classes the schema attaches to
fields, and the rule every operation obeys (the `read` scope).

- every query and mutation: `read` (implied by `write` and `admin`);
- catalogue writes (artifacts and their links): `write`;
- writes to a project: `write` and a role on that project that allows it, or `admin`;
- bulk writes to projects: the same, for the project of every item (one forbidden item
  refuses the whole call, as one forbidden field refuses a whole mutation document);
- people, teams, deletes of shared nodes, the audit trail: `admin`;
- values only admins may read (a person's email hash): null for everyone else.

A mutation document is authorized as a whole before its first field runs
(`maestro_graph.graphql.mutation_authorization`), with the same rules.

A role check reads the caller's MEMBER_OF roles from the graph at the time of the call.
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

import strawberry
from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location
from strawberry.types import Info
from strawberry.types.field import StrawberryField
from strawberry.utils.await_maybe import await_maybe

from maestro_graph.auth import scopes
from maestro_graph.auth.principal import Principal
from maestro_graph.repositories import project_roles

# Roles on a project that may change what it uses, and those that may also change who
# belongs to it (so a contributor cannot make themselves owner).
WRITE_ROLES = frozenset({"owner", "maintainer", "contributor", "uploader"})
MANAGE_ROLES = frozenset({"owner", "maintainer"})


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="requires",
    description="What a caller needs: the scope, and for project writes one of these roles on the project "
    "(the admin scope needs no role).",
)
class Requires:
    scope: str
    project_roles: list[str] | None = None


def forbidden(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "FORBIDDEN"})


def _principal(context: Any) -> Principal:
    principal = getattr(context, "principal", None)
    if principal is None:
        raise GraphQLError("authentication required", extensions={"code": "UNAUTHENTICATED"})
    return principal


class Rule(BasePermission):
    """A permission that checks a call from the request's context, the field's name and its
    arguments (as the resolver receives them), so the same check serves a field as it
    resolves and a mutation document authorized as a whole before any of its fields runs."""

    @abc.abstractmethod
    def authorize(self, context: Any, field_name: str, arguments: Mapping[str, Any]) -> Awaitable[None] | None:
        """Raises FORBIDDEN (or UNAUTHENTICATED) unless the caller may make this call."""


class RequireScope(Rule):
    def __init__(self, scope: str):
        self.scope = scope
        # Shown on the field in the SDL, so integrators can read the rule off the schema.
        # Strawberry reads an instance's own value (its comment says so); the ClassVar
        # annotation on BasePermission is narrower than its use.
        self._schema_directive = Requires(scope=scope)  # type: ignore[misc]

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        self.authorize(info.context, info.field_name, kwargs)
        return True

    def authorize(self, context: Any, field_name: str, arguments: Mapping[str, Any]) -> None:
        if not _principal(context).has(self.scope):
            raise forbidden(f"{field_name} needs the '{self.scope}' scope")


class ProjectRole(Rule):
    """`write` scope and one of `roles` on the project the arguments name; `admin` passes."""

    def __init__(self, project_of: Callable[[Mapping[str, Any]], Any], roles: frozenset[str]):
        self.project_of = project_of
        self.roles = roles
        self._schema_directive = Requires(scope=scopes.WRITE, project_roles=sorted(roles))  # type: ignore[misc]

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        await self.authorize(info.context, info.field_name, kwargs)
        return True

    async def authorize(self, context: Any, field_name: str, arguments: Mapping[str, Any]) -> None:
        principal = _principal(context)
        if not principal.has(scopes.WRITE):
            raise forbidden(f"{field_name} needs the '{scopes.WRITE}' scope")
        if principal.is_admin:
            return
        project_id = self.project_of(arguments)
        project_id = project_id.strip() if isinstance(project_id, str) else None
        if principal.person_id and project_id:
            held = await context.db.read(project_roles.roles, principal.person_id, project_id)
            if self.roles & set(held):
                return
        needed = " or ".join(sorted(self.roles))
        raise forbidden(f"{field_name} needs a role on project {project_id!r} ({needed}), or the 'admin' scope")


class EveryProjectRole(Rule):
    """`ProjectRole` for every item of a bulk write: `write` and one of `roles` on each project
    `projects_of` the arguments names, read in one query; `admin` passes. Refused as a whole,
    naming the items at fault (`extensions.indexes`)."""

    def __init__(self, projects_of: Callable[[Mapping[str, Any]], list[Any]], roles: frozenset[str]):
        self.projects_of = projects_of
        self.roles = roles
        self._schema_directive = Requires(scope=scopes.WRITE, project_roles=sorted(roles))  # type: ignore[misc]

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        await self.authorize(info.context, info.field_name, kwargs)
        return True

    async def authorize(self, context: Any, field_name: str, arguments: Mapping[str, Any]) -> None:
        principal = _principal(context)
        if not principal.has(scopes.WRITE):
            raise forbidden(f"{field_name} needs the '{scopes.WRITE}' scope")
        if principal.is_admin:
            return
        wanted = [value.strip() if isinstance(value, str) else "" for value in self.projects_of(arguments)]
        held: dict[str, list[str]] = {}
        named = sorted({project_id for project_id in wanted if project_id})
        if principal.person_id and named:
            held = await context.db.read(project_roles.roles_on_projects, principal.person_id, named)
        refused = [index for index, project_id in enumerate(wanted) if not self.roles & set(held.get(project_id, ()))]
        if refused:
            needed = " or ".join(sorted(self.roles))
            projects = sorted({wanted[index] for index in refused})
            shown = ", ".join(repr(project_id) for project_id in projects[:5]) + (", …" if len(projects) > 5 else "")
            raise GraphQLError(
                f"{field_name} needs a role ({needed}) on the project of every item, or the 'admin' scope; "
                f"{len(refused)} item(s) name projects without one: {shown}",
                extensions={"code": "FORBIDDEN", "indexes": refused},
            )


async def authorize(field: StrawberryField, field_name: str, context: Any, arguments: Mapping[str, Any]) -> None:
    """Every rule declared on `field` (named `field_name` in the schema), for a call with
    `arguments`; raises the first refusal."""
    for extension in field.extensions:
        if isinstance(extension, PermissionExtension):
            for permission in extension.permissions:
                if not isinstance(permission, Rule):  # a check that cannot run before the field resolves
                    raise TypeError(f"{field_name}: {type(permission).__name__} is not a Rule")
                await await_maybe(permission.authorize(context, field_name, arguments))


class VisibleToAdmins(BasePermission):
    """A value only the `admin` scope may read; with `admin_only_value()` others get null, not an error."""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return self.allows(info.context)

    @staticmethod
    def allows(context: Any) -> bool:
        principal = getattr(context, "principal", None)
        return principal is not None and principal.is_admin


def admin_only_value() -> list[FieldExtension]:
    return [PermissionExtension([VisibleToAdmins()], use_directives=False, fail_silently=True)]


def requires(*permissions: Rule) -> list[FieldExtension]:
    """Field extensions enforcing `permissions`, in order."""
    return [PermissionExtension(list(permissions))]


def scope(name: str) -> list[FieldExtension]:
    return requires(RequireScope(name))


def project_write(project_of: Callable[[Mapping[str, Any]], Any]) -> list[FieldExtension]:
    return requires(ProjectRole(project_of, WRITE_ROLES))


def project_manage(project_of: Callable[[Mapping[str, Any]], Any]) -> list[FieldExtension]:
    return requires(ProjectRole(project_of, MANAGE_ROLES))


def every_project_write(projects_of: Callable[[Mapping[str, Any]], list[Any]]) -> EveryProjectRole:
    return EveryProjectRole(projects_of, WRITE_ROLES)


def every_project_manage(projects_of: Callable[[Mapping[str, Any]], list[Any]]) -> EveryProjectRole:
    return EveryProjectRole(projects_of, MANAGE_ROLES)


class RequireReadScope(SchemaExtension):
    """Every operation, whatever fields it asks for, needs the `read` scope."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        principal = getattr(context.context, "principal", None)
        if context.result is None and (principal is None or not principal.has(scopes.READ)):
            context.result = ExecutionResult(data=None, errors=[forbidden(f"the '{scopes.READ}' scope is required")])
        yield
