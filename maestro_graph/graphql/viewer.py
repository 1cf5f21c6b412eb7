"""`viewer`: who the caller is, as this API sees them — what a frontend shows as the signed-in
person and their rights, read from the same Principal every permission check uses."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from maestro_graph.auth import scopes as scope_names
from maestro_graph.graphql.types import Person


@strawberry.type(description="The caller of this request.")
class Viewer:
    subject: str = strawberry.field(description="The token's subject (`sub`), or `anonymous`.")
    scopes: list[str] = strawberry.field(description="The scopes this API grants the caller: read, write, admin.")
    source: str = strawberry.field(
        description="oauth (this API's tokens), oidc (the external issuer) or dev-anonymous."
    )
    person_id: strawberry.Private[str | None]

    @strawberry.field(
        description="The Person the caller acts as (project roles come from its memberships); "
        "null when the graph has none, and then the caller only reads."
    )
    async def person(self, info: Info) -> Person | None:
        if self.person_id is None:
            return None
        row = await info.context.loaders.node.load(("Person", self.person_id))
        return None if row is None else Person.from_node(row)


@strawberry.type
class ViewerQuery:
    @strawberry.field(description="Who the caller is: subject, granted scopes and the Person they act as.")
    def viewer(self, info: Info) -> Viewer:
        principal = info.context.principal
        return Viewer(
            subject=principal.subject,
            scopes=[name for name in scope_names.SUPPORTED if principal.has(name)],
            source=principal.source,
            person_id=principal.person_id,
        )
