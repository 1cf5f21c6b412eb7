"""Registering, listing and removing webhook integrations (`maestro-graph webhooks …`).

A GitHub integration binds one repository to one project and holds the secret GitHub
signs its deliveries with. The secret is generated here, shown once, and stored sealed.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from maestro_graph import domain
from maestro_graph.db.graph import GraphDB
from maestro_graph.repositories import audit, webhooks
from maestro_graph.secret_box import SecretBox

CLI_ACTOR = "cli"
# `owner/name` as GitHub spells repositories; the webhook finds names of this shape in a raw payload.
REPOSITORY_NAME = r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}"
_REPOSITORY = re.compile(f"^{REPOSITORY_NAME}$")


class IntegrationError(ValueError):
    """A request the command line should refuse with a message."""


def github_id(repository: str) -> str:
    return f"github:{repository.lower()}"


async def create_github(
    db: GraphDB, box: SecretBox, repository: str, project_id: str, deploy_workflows: list[str]
) -> dict[str, Any]:
    """Register a repository's webhook; returns the integration and its secret (shown only now)."""
    if not _REPOSITORY.match(repository or ""):
        raise IntegrationError(f"repository must be owner/name (got {repository!r})")
    try:
        project_id = domain.valid_id(project_id, "project")
    except domain.InvalidInput as error:
        raise IntegrationError(str(error)) from None
    integration_id = github_id(repository)
    secret = secrets.token_urlsafe(32)
    workflows = sorted({name.strip().lower() for name in deploy_workflows if name.strip()})

    async def work(tx):
        if await webhooks.exists(tx, integration_id):
            raise IntegrationError(f"{integration_id} is already registered: remove it first to change its secret")
        created = await webhooks.create(
            tx,
            id=integration_id,
            kind="github",
            repository=repository.lower(),
            project_id=project_id,
            secret_sealed=box.seal(secret),
            deploy_workflows=workflows,
        )
        if created is None:
            raise IntegrationError(f"no Project with id {project_id!r}: create the project first")
        await audit.record(
            tx,
            action="webhooks.addGithub",
            actor=CLI_ACTOR,
            client_id=None,
            person_id=None,
            targets=[integration_id, project_id],
            changed=["secret", "deploy_workflows"],
        )
        return created

    created = await db.write(work)
    return {**_plain(created), "secret": secret}


async def list_integrations(db: GraphDB) -> list[dict[str, Any]]:
    return [_plain(row) for row in await db.read(webhooks.list_all)]


async def remove(db: GraphDB, integration_id: str) -> dict[str, Any]:
    async def work(tx):
        removed = await webhooks.remove(tx, integration_id)
        if removed is None:
            raise IntegrationError(f"no integration {integration_id!r}")
        await audit.record(
            tx,
            action="webhooks.remove",
            actor=CLI_ACTOR,
            client_id=None,
            person_id=None,
            targets=[integration_id],
            changed=[],
        )
        return removed

    return _plain(await db.write(work))


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value.iso_format() if hasattr(value, "iso_format") else value for key, value in row.items()}
