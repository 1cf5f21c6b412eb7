"""`POST /webhooks/github`: push, deployment_status and workflow_run events from GitHub.

The repository named in the payload picks the integration, whose secret must verify
`X-Hub-Signature-256` over the exact bytes received; an unknown repository and a bad
signature get the same 401, so the endpoint does not tell which repositories are
registered. Nothing is written before the signature verifies and the payload is checked;
`X-GitHub-Delivery` makes a redelivery a no-op.

The body is not parsed before its signature verifies: parsing 25 MB of JSON that nobody
vouched for costs far more than refusing it. GitHub's headers name no repository (only
its numeric id), so the integrations to try are found by a regular expression over the
raw bytes: every `"full_name": "owner/name"` in them, the first MAX_CANDIDATES distinct
ones, of which only registered ones cost an HMAC. The scan is one pass at C speed that
allocates nothing the size of the body. The payload's own repository is among those
names (before it, GitHub's events name at most a run's or a pull request's head and base
repositories), and a name found there only chooses which secrets to try: once one
verifies, the parsed payload must name that integration's repository, or the signature
does not vouch for it.

    200 {"status": "recorded" | "duplicate" | "ignored" | "pong"}
    400 malformed request, or a signed payload that is not UTF-8 JSON, nests too deeply or is malformed
    401 signature (a body naming no registered repository has no secret that could verify it)
    422 the integration's project is gone 503 the secret cannot be decrypted (key mismatch)
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from maestro_graph.config import Settings
from maestro_graph.integrations import github_events, json_body, registry, signatures
from maestro_graph.integrations.events import MalformedPayload
from maestro_graph.integrations.recording import ProjectMissing, record
from maestro_graph.repositories import deployments, webhooks
from maestro_graph.secret_box import SecretBox, SecretUnreadable

log = logging.getLogger("maestro_graph.webhooks")

EVENTS = frozenset({"push", "deployment_status", "workflow_run"})
_DELIVERY = re.compile(r"^[A-Za-z0-9-]{1,100}$")
_FULL_NAME = re.compile(rb'"full_name"\s*:\s*"(' + registry.REPOSITORY_NAME.encode() + rb')"')
# Integrations tried per delivery: each costs an HMAC over the whole body.
MAX_CANDIDATES = 8
UNVERIFIED = "unknown repository or bad signature"


def _answer(code: int, **body) -> JSONResponse:
    return JSONResponse(body, code)


class GitHubWebhook:
    """An ASGI endpoint bound to the app's settings (production environments, secret key)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.production_environments = frozenset(name.lower() for name in settings.production_environments)
        self.retention = timedelta(days=settings.webhook_delivery_retention_days)
        self._box: SecretBox | None = None

    @property
    def box(self) -> SecretBox:
        # Built on first use: an app that never receives a webhook never needs the key.
        if self._box is None:
            self._box = SecretBox.from_settings(self.settings)
        return self._box

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.handle(Request(scope, receive))
        await response(scope, receive, send)

    async def handle(self, request: Request) -> JSONResponse:
        event = request.headers.get("x-github-event", "")
        delivery = request.headers.get("x-github-delivery", "")
        signature = request.headers.get("x-hub-signature-256")
        if not signature:
            return _answer(401, error="X-Hub-Signature-256 is required")
        if not event or not _DELIVERY.match(delivery):
            return _answer(400, error="X-GitHub-Event and X-GitHub-Delivery are required")
        body = await request.body()
        candidates = named_integrations(body)
        db = request.app.state.db
        registered = await db.read(_registered, candidates) if candidates else []
        try:
            # HMAC over up to 25 MB: hashlib releases the GIL, so the event loop runs meanwhile.
            integration = await run_in_threadpool(self._signer, registered, body, signature)
        except SecretUnreadable as error:
            log.error(
                "webhook secret of %s does not decrypt: is MAESTRO_INTEGRATION_SECRETS_KEY the one it was "
                "registered with?",
                error,
            )
            return _answer(503, error="the integration's secret cannot be read")
        if integration is None:
            return _answer(401, error=UNVERIFIED)
        try:
            payload = await run_in_threadpool(json_body.parse, body)
        except json_body.BadJsonBody as error:
            return _answer(400, error=str(error))
        repository = github_events.repository_name(payload)
        if repository is None:
            return _answer(400, error="repository.full_name is missing")
        if registry.github_id(repository) != integration["id"]:
            return _answer(401, error=UNVERIFIED)
        if event == "ping":
            return _answer(200, status="pong")
        if event not in EVENTS:
            return _answer(200, status="ignored", reason=f"{event} events are not used")
        try:
            effects = self._effects(event, payload, repository, integration)
        except MalformedPayload as error:
            return _answer(400, error=f"malformed {event} payload: {error}")
        if effects is None:
            return _answer(200, status="ignored", reason="the event changes nothing we record")
        try:
            fresh = await record(db, f"github:{delivery}", "github", event, effects, self.retention)
        except ProjectMissing as error:
            return _answer(422, error=str(error))
        return _answer(200, status="recorded" if fresh else "duplicate")

    def _signer(self, integrations: list[dict[str, Any]], body: bytes, signature: str) -> dict[str, Any] | None:
        """The integration whose secret signed `body`; SecretUnreadable (naming it) when a secret
        that might have cannot be decrypted."""
        unreadable = None
        for integration in integrations:
            try:
                secret = self.box.open(integration["secret_sealed"])
            except SecretUnreadable:
                unreadable = integration["id"]
                continue
            if signatures.verify(secret, body, signature):
                return integration
        if unreadable is not None:
            raise SecretUnreadable(unreadable)
        return None

    def _effects(self, event: str, payload: dict, repository: str, integration: dict):
        """The writes an event makes, checked before any transaction starts."""
        project_id = integration["project_id"]
        if event == "push":
            push = github_events.push(payload, repository)
            if push is None:
                return None

            async def write_push(tx):
                await deployments.record_push(tx, push)

            return write_push
        if event == "deployment_status":
            deployment = github_events.deployment_status(payload, repository, self.production_environments)

            async def write_deployment(tx):
                if not await deployments.record_deployment(tx, project_id, deployment):
                    raise ProjectMissing(project_id)

            return write_deployment
        run = github_events.workflow_run(payload, repository)
        as_deployment = github_events.run_as_deployment(run, frozenset(integration.get("deploy_workflows") or ()))

        async def write_run(tx):
            if not await deployments.record_pipeline_run(tx, project_id, run):
                raise ProjectMissing(project_id)
            if as_deployment is not None:
                await deployments.record_deployment(tx, project_id, as_deployment)

        return write_run


def named_integrations(body: bytes) -> list[str]:
    """Ids of the integrations the raw body may belong to, without parsing it (see the module's doc)."""
    found: list[str] = []
    for match in _FULL_NAME.finditer(body):
        integration_id = registry.github_id(match.group(1).decode())
        if integration_id not in found:
            found.append(integration_id)
            if len(found) == MAX_CANDIDATES:
                break
    return found


async def _registered(tx, integration_ids: list[str]) -> list[dict[str, Any]]:
    found = [await webhooks.get_for_verify(tx, integration_id) for integration_id in integration_ids]
    return [integration for integration in found if integration is not None]
