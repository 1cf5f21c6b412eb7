"""The generic deployments endpoint's JSON body, for CI/CD systems other than GitHub.

{
  "projectId": "churn-model",          the project deployed
  "deploymentId": "build-1234",        the sender's id; status updates reuse it
  "environment": "production",
  "status": "success",                 success | failure | error | in_progress | queued | pending | inactive | cancelled
  "production": true,                  optional; default: environment is one of the production names
  "sha": "9fceb02…",                   optional: the deployed commit
  "ref": "main",                       optional
  "startedAt": "2025-02-14T09:58:00Z", optional
  "finishedAt": "2025-02-14T10:03:00Z",optional: when this status was reached (default: now)
  "url": "https://ci.example/…",       optional
  "commits": [{"sha": "…", "committedAt": "…"}]  optional: the changes it shipped, for lead time
}
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from maestro_graph.cicd import DEPLOYMENT_STATES, DeploymentEvent
from maestro_graph.domain import InvalidInput, valid_id
from maestro_graph.integrations.events import MalformedPayload, changes, is_production, sha, text, timestamp

SOURCE = "generic"


def deployment(
    body: Any, production_environments: frozenset[str], now: datetime | None = None
) -> tuple[str, DeploymentEvent]:
    """(project id, event); raises MalformedPayload naming the field at fault."""
    if not isinstance(body, dict):
        raise MalformedPayload("the body must be a JSON object")
    try:
        project_id = valid_id(body.get("projectId"), "projectId")
        deployment_id = valid_id(body.get("deploymentId"), "deploymentId")
    except InvalidInput as error:
        raise MalformedPayload(str(error)) from None
    state = text(body, "status").lower()
    if state not in DEPLOYMENT_STATES:
        raise MalformedPayload(f"status must be one of {', '.join(sorted(DEPLOYMENT_STATES))}")
    environment = text(body, "environment", max_length=200)
    flag = body.get("production")
    if flag is not None and not isinstance(flag, bool):
        raise MalformedPayload("production must be true or false")
    commits = body.get("commits")
    listed = None if commits is None else changes(commits, "sha", "committedAt", time_required=False)
    event = DeploymentEvent(
        # The sender's ids are only unique to it and its project.
        deployment_id=f"{SOURCE}:{project_id}:{deployment_id}",
        environment=environment,
        production=is_production(environment, flag, production_environments),
        state=state,
        state_at=timestamp(body, "finishedAt", required=False) or now or datetime.now(UTC),
        started_at=timestamp(body, "startedAt", required=False),
        sha=sha(body, "sha", required=False),
        ref=text(body, "ref", required=False, max_length=200),
        url=text(body, "url", required=False, max_length=2000),
        source=SOURCE,
        changes=None if listed is None else tuple(listed),
    )
    return project_id, event
