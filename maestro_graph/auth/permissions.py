"""Who may do what, in one place: Strawberry permission classes the schema attaches to
fields, and the rule every operation obeys (the `read` scope).

- every query and mutation: `read` (implied by `write` and `admin`);
- catalogue writes (artifacts and their links): `write`;
- writes to a project: `write` and a role on that project that allows it, or `admin`;
- people, teams, deletes of shared nodes, the audit trail: `admin`.

A role check reads the caller's MEMBER_OF roles from the graph at the time of the call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import strawberry
from graphql import ExecutionResult, GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location
from strawberry.types import Info

from maestro_graph.auth import scopes
from maestro_graph.auth.principal import Principal
from maestro_graph.repositories import project_roles

# Roles on a project that may change what it uses, and those that may also change who
# belongs to it (so a contributor cannot make themselves owner).
WRITE_ROLES = frozenset({"owner", "maintainer", "contributor", "uploader"})
MANAGE_ROLES = frozenset({"owner", "maintainer"})


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION], name="requires",
    description="What a caller needs: the scope, and for project writes one of these roles on the project "
                "(the admin scope needs no role).",
)
class Requires:
    scope: str
    project_roles: list[str] | None = None


def forbidden(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "FORBIDDEN"})


def _principal(info: Info) -> Principal:
    principal = getattr(info.context, "principal", None)
    if principal is None:
        raise GraphQLError("authentication required", extensions={"code": "UNAUTHENTICATED"})
    return principal


class RequireScope(BasePermission):
    def __init__(self, scope: str):
        self.scope = scope
        # Shown on the field in the SDL, so integrators can read the rule off the schema.
        self._schema_directive = Requires(scope=scope)

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        if not _principal(info).has(self.scope):
            raise forbidden(f"{info.field_name} needs the '{self.scope}' scope")
        return True


class ProjectRole(BasePermission):
    """`write` scope and one of `roles` on the project the arguments name; `admin` passes."""

    def __init__(self, project_of: Callable[[dict[str, Any]], Any], roles: frozenset[str]):
        self.project_of = project_of
        self.roles = roles
        self._schema_directive = Requires(scope=scopes.WRITE, project_roles=sorted(roles))

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = _principal(info)
        if not principal.has(scopes.WRITE):
            raise forbidden(f"{info.field_name} needs the '{scopes.WRITE}' scope")
        if principal.is_admin:
            return True
        project_id = self.project_of(kwargs)
        project_id = project_id.strip() if isinstance(project_id, str) else None
        if principal.person_id and project_id:
            held = await info.context.db.read(project_roles.roles, principal.person_id, project_id)
            if self.roles & set(held):
                return True
        needed = " or ".join(sorted(self.roles))
        raise forbidden(f"{info.field_name} needs a role on project {project_id!r} ({needed}), or the 'admin' scope")


def requires(*permissions: BasePermission) -> list[FieldExtension]:
    """Field extensions enforcing `permissions`, in order."""
    return [PermissionExtension(list(permissions))]


def scope(name: str) -> list[FieldExtension]:
    return requires(RequireScope(name))


def project_write(project_of: Callable[[dict[str, Any]], Any]) -> list[FieldExtension]:
    return requires(ProjectRole(project_of, WRITE_ROLES))


def project_manage(project_of: Callable[[dict[str, Any]], Any]) -> list[FieldExtension]:
    return requires(ProjectRole(project_of, MANAGE_ROLES))


class RequireReadScope(SchemaExtension):
    """Every operation, whatever fields it asks for, needs the `read` scope."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        principal = getattr(context.context, "principal", None)
        if context.result is None and (principal is None or not principal.has(scopes.READ)):
            context.result = ExecutionResult(data=None, errors=[forbidden(f"the '{scopes.READ}' scope is required")])
        yield
