"""What CI/CD systems tell us, once their payloads are checked: the same records whether an
event came from GitHub or from the generic deployments endpoint. The integrations build
them (`integrations/`), the repositories store them (`repositories/deployments.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# States that end a deployment, and what they mean for the DORA figures.
OUTCOMES = {"success": "success", "failure": "failure", "error": "failure"}
DEPLOYMENT_STATES = frozenset(
    {"success", "failure", "error", "in_progress", "queued", "pending", "inactive", "cancelled"}
)


@dataclass(frozen=True)
class Change:
    """A commit that a push or a deployment carried, with its time when known."""

    sha: str
    at: datetime | None


@dataclass(frozen=True)
class DeploymentEvent:
    deployment_id: str  # namespaced by source, e.g. github:org/repo:deployment:42
    environment: str
    production: bool
    state: str
    state_at: datetime  # when this state was reported
    started_at: datetime | None
    sha: str | None
    ref: str | None
    url: str | None
    source: str
    # The commits this deployment shipped, when the sender says; None leaves it to the
    # push that brought the deployed commit (see repositories.deployments).
    changes: tuple[Change, ...] | None = None

    @property
    def outcome(self) -> str | None:
        return OUTCOMES.get(self.state)


@dataclass(frozen=True)
class PushEvent:
    repository: str
    ref: str
    head: str
    commits: tuple[Change, ...]


@dataclass(frozen=True)
class PipelineRunEvent:
    run_id: str
    name: str
    status: str
    conclusion: str | None
    sha: str | None
    branch: str | None
    event: str | None
    started_at: datetime | None
    updated_at: datetime
    url: str | None
    head_commit: Change | None
