"""`POST /webhooks/deployments`: deployments from any CI/CD system, as JSON (see
generic_events for the body), authenticated with an OAuth bearer token.

The /graphql guard authenticates the token; this endpoint then asks what a project write
asks in the API: the `write` scope and a role on the project that may write to it, or the
`admin` scope. An `Idempotency-Key` header makes a retried request a no-op; without one,
sending the same status twice still changes nothing.

    200 {"status": "recorded" | "duplicate", "deploymentId": ...}
    400 malformed body: not UTF-8 JSON, nested too deeply (see json_body), or not the shape above
    401 no or bad token   403 not allowed on the project   404 no such project
"""

from __future__ import annotations

import re
from datetime import timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from maestro_graph.auth import scopes
from maestro_graph.auth.guard import PRINCIPAL_KEY
from maestro_graph.auth.permissions import WRITE_ROLES
from maestro_graph.auth.principal import Principal
from maestro_graph.config import Settings
from maestro_graph.db.graph import GraphDB
from maestro_graph.integrations import generic_events, json_body
from maestro_graph.integrations.events import MalformedPayload
from maestro_graph.integrations.recording import ProjectMissing, record
from maestro_graph.repositories import audit, deployments, project_roles

ACTION = "recordDeployment"
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")


def _answer(code: int, **body) -> JSONResponse:
    return JSONResponse(body, code)


async def allowed_on_project(db: GraphDB, principal: Principal, project_id: str) -> bool:
    """The API's rule for project writes: `admin`, or `write` and a writing role on the project."""
    if principal.is_admin:
        return True
    if not principal.has(scopes.WRITE) or not principal.person_id:
        return False
    held = await db.read(project_roles.roles, principal.person_id, project_id)
    return bool(WRITE_ROLES & set(held))


class DeploymentsEndpoint:
    def __init__(self, settings: Settings):
        self.production_environments = frozenset(name.lower() for name in settings.production_environments)
        self.retention = timedelta(days=settings.webhook_delivery_retention_days)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await self.handle(request, scope.get("state", {}).get(PRINCIPAL_KEY))
        await response(scope, receive, send)

    async def handle(self, request: Request, principal: Principal | None) -> JSONResponse:
        if principal is None:  # the guard in front always sets one; refuse rather than trust a gap
            return _answer(401, error="authentication required")
        if not principal.has(scopes.WRITE):
            return _answer(403, error=f"recording deployments needs the '{scopes.WRITE}' scope")
        key = request.headers.get("idempotency-key")
        if key is not None and not _IDEMPOTENCY_KEY.match(key):
            return _answer(400, error="Idempotency-Key must be 1 to 200 printable characters")
        try:
            body = json_body.parse(await request.body())
            project_id, event = generic_events.deployment(body, self.production_environments)
        except (json_body.BadJsonBody, MalformedPayload) as error:
            return _answer(400, error=str(error))
        db: GraphDB = request.app.state.db
        if not await allowed_on_project(db, principal, project_id):
            return _answer(
                403,
                error=f"recording deployments of project {project_id!r} needs a role on it that "
                f"may write ({', '.join(sorted(WRITE_ROLES))}), or the 'admin' scope",
            )

        async def write(tx):
            if not await deployments.record_deployment(tx, project_id, event):
                raise ProjectMissing(project_id)
            await audit.record(
                tx,
                action=ACTION,
                actor=principal.actor,
                client_id=principal.client_id,
                person_id=principal.person_id,
                targets=[project_id, event.deployment_id],
                changed=["state"] + (["changes"] if event.changes is not None else []),
            )

        # Keys are the caller's own: two clients using the same key do not collide.
        caller = principal.client_id or principal.subject
        delivery = f"generic:{caller}:{key}" if key else None
        try:
            fresh = await record(db, delivery, "generic", "deployment", write, self.retention)
        except ProjectMissing as error:
            return _answer(404, error=str(error))
        return _answer(200, status="recorded" if fresh else "duplicate", deploymentId=event.deployment_id)
