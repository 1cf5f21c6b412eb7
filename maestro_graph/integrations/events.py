"""What CI/CD systems tell us, once their payloads are checked: the same shapes whether
an event came from GitHub or from the generic deployments endpoint."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

# States that end a deployment, and what they mean for the DORA figures.
OUTCOMES = {"success": "success", "failure": "failure", "error": "failure"}
DEPLOYMENT_STATES = frozenset({"success", "failure", "error", "in_progress", "queued", "pending", "inactive",
                               "cancelled"})
_SHA = re.compile(r"^[0-9a-f]{7,64}$")
MAX_CHANGES = 2048  # GitHub lists at most this many commits in one push


class MalformedPayload(ValueError):
    """The payload is not what the event's documented schema says; nothing is written."""


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


# --- checked access to decoded JSON --------------------------------------------------

def obj(payload: Any, key: str, where: str = "") -> dict[str, Any]:
    value = payload.get(key) if isinstance(payload, dict) else None
    if not isinstance(value, dict):
        raise MalformedPayload(f"{where}{key} must be an object")
    return value


def text(payload: dict, key: str, where: str = "", required: bool = True, max_length: int = 500) -> str | None:
    value = payload.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise MalformedPayload(f"{where}{key} must be a non-empty string")
    if len(value) > max_length:
        raise MalformedPayload(f"{where}{key} must be at most {max_length} characters")
    return value.strip()


def identifier(payload: dict, key: str, where: str = "") -> str:
    """GitHub ids are integers; other systems' ids are strings."""
    value = payload.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return text(payload, key, where, max_length=200)


def timestamp(payload: dict, key: str, where: str = "", required: bool = True) -> datetime | None:
    value = payload.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise MalformedPayload(f"{where}{key} must be an ISO 8601 timestamp")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise MalformedPayload(f"{where}{key} must be an ISO 8601 timestamp (got {value[:40]!r})") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def sha(payload: dict, key: str, where: str = "", required: bool = True) -> str | None:
    value = payload.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not _SHA.match(value.lower()):
        raise MalformedPayload(f"{where}{key} must be a commit sha")
    return value.lower()


def changes(commits: Any, sha_key: str, time_key: str, time_required: bool = True) -> list[Change]:
    """A payload's list of commits as Changes; GitHub and generic senders name the keys differently."""
    if not isinstance(commits, list) or len(commits) > MAX_CHANGES:
        raise MalformedPayload(f"commits must be a list of at most {MAX_CHANGES}")
    found = []
    for i, commit in enumerate(commits):
        if not isinstance(commit, dict):
            raise MalformedPayload(f"commits[{i}] must be an object")
        found.append(Change(sha(commit, sha_key, f"commits[{i}]."),
                            timestamp(commit, time_key, f"commits[{i}].", required=time_required)))
    return found


def is_production(environment: str, flag: Any, production_environments: frozenset[str]) -> bool:
    """The sender's own flag when it has one, else the environment's name."""
    if isinstance(flag, bool):
        return flag
    return environment.strip().lower() in production_environments
