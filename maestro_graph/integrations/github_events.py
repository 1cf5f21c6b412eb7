"""GitHub webhook payloads (push, deployment_status, workflow_run) checked against the
fields GitHub documents, and turned into our events.

Only the fields we use are required; anything else in a payload is ignored, so GitHub
adding fields breaks nothing.
"""

from __future__ import annotations

from typing import Any

from maestro_graph.cicd import DEPLOYMENT_STATES, Change, DeploymentEvent, PipelineRunEvent, PushEvent
from maestro_graph.integrations.events import (
    MalformedPayload,
    changes,
    identifier,
    is_production,
    obj,
    sha,
    text,
    timestamp,
)

SOURCE = "github"
# Workflow conclusions that count as a failed deployment; cancelled, skipped and the like
# are neither success nor failure.
_FAILED_RUNS = frozenset({"failure", "timed_out", "startup_failure"})
_ZERO_SHA = "0" * 40


def repository_name(payload: Any) -> str | None:
    """`owner/name` of the repository the event is about, lowercased (GitHub names ignore case)."""
    repository = payload.get("repository") if isinstance(payload, dict) else None
    name = repository.get("full_name") if isinstance(repository, dict) else None
    if not isinstance(name, str) or name.count("/") != 1 or len(name) > 200 or any(c.isspace() for c in name):
        return None
    return name.lower()


def push(payload: dict, repository: str) -> PushEvent | None:
    """The commits a push brought; None for a deleted branch or tag, which brings none."""
    if payload.get("deleted") is True or payload.get("after") == _ZERO_SHA:
        return None
    head = sha(payload, "after")
    pushed = changes(payload.get("commits"), "id", "timestamp")
    return PushEvent(repository, text(payload, "ref"), head, tuple(pushed))


def deployment_status(payload: dict, repository: str, production_environments: frozenset[str]) -> DeploymentEvent:
    status = obj(payload, "deployment_status")
    deployment = obj(payload, "deployment")
    state = text(status, "state", "deployment_status.").lower()
    if state not in DEPLOYMENT_STATES:
        raise MalformedPayload(f"deployment_status.state {state!r} is not a deployment state")
    environment = text(status, "environment", "deployment_status.", required=False) or text(
        deployment, "environment", "deployment."
    )
    return DeploymentEvent(
        deployment_id=f"{SOURCE}:{repository}:deployment:{identifier(deployment, 'id', 'deployment.')}",
        environment=environment,
        production=is_production(environment, deployment.get("production_environment"), production_environments),
        state=state,
        state_at=timestamp(status, "created_at", "deployment_status."),
        started_at=timestamp(deployment, "created_at", "deployment."),
        sha=sha(deployment, "sha", "deployment."),
        ref=text(deployment, "ref", "deployment.", required=False),
        url=text(status, "target_url", "deployment_status.", required=False, max_length=2000) or None,
        source=SOURCE,
    )


def workflow_run(payload: dict, repository: str) -> PipelineRunEvent:
    run = obj(payload, "workflow_run")
    attempt = run.get("run_attempt", 1)
    if not isinstance(attempt, int) or isinstance(attempt, bool) or attempt < 1:
        raise MalformedPayload("workflow_run.run_attempt must be a positive integer")
    status = text(run, "status", "workflow_run.").lower()
    conclusion = text(run, "conclusion", "workflow_run.", required=False)
    head = run.get("head_commit")
    head_commit = None
    if isinstance(head, dict):
        head_commit = Change(
            sha(head, "id", "workflow_run.head_commit."),
            timestamp(head, "timestamp", "workflow_run.head_commit.", required=False),
        )
    updated_at = timestamp(run, "updated_at", "workflow_run.")
    return PipelineRunEvent(
        # A re-run keeps the run id: each attempt is its own run, so a failed attempt stays failed.
        run_id=f"{SOURCE}:{repository}:run:{identifier(run, 'id', 'workflow_run.')}:{attempt}",
        name=text(run, "name", "workflow_run."),
        status=status,
        conclusion=conclusion.lower() if conclusion else None,
        sha=sha(run, "head_sha", "workflow_run."),
        branch=text(run, "head_branch", "workflow_run.", required=False),
        event=text(run, "event", "workflow_run.", required=False),
        started_at=timestamp(run, "run_started_at", "workflow_run.", required=False),
        updated_at=updated_at,
        url=text(run, "html_url", "workflow_run.", required=False, max_length=2000),
        head_commit=head_commit,
    )


def run_as_deployment(run: PipelineRunEvent, deploy_workflows: frozenset[str]) -> DeploymentEvent | None:
    """A run of a workflow the integration names as its deployment, as a production deployment."""
    if run.name.strip().lower() not in deploy_workflows:
        return None
    if run.status != "completed":
        state = "in_progress" if run.status == "in_progress" else "queued"
    elif run.conclusion == "success":
        state = "success"
    elif run.conclusion in _FAILED_RUNS:
        state = "failure"
    else:
        state = "cancelled"
    # Which commits it shipped is left to the pushes (the head commit's time is recorded with the run).
    return DeploymentEvent(
        deployment_id=run.run_id,
        environment="production",
        production=True,
        state=state,
        state_at=run.updated_at,
        started_at=run.started_at,
        sha=run.sha,
        ref=run.branch,
        url=run.url,
        source=SOURCE,
    )
