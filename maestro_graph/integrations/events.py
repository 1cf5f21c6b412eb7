"""Checked access to CI/CD payloads: what GitHub and the generic deployments endpoint send
becomes the records of `maestro_graph.cicd`, or a MalformedPayload that writes nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal, overload

from maestro_graph.cicd import Change

_SHA = re.compile(r"^[0-9a-f]{7,64}$")
MAX_CHANGES = 2048  # GitHub lists at most this many commits in one push


class MalformedPayload(ValueError):
    """The payload is not what the event's documented schema says; nothing is written."""


# --- checked access to decoded JSON --------------------------------------------------


def obj(payload: Any, key: str, where: str = "") -> dict[str, Any]:
    value = payload.get(key) if isinstance(payload, dict) else None
    if not isinstance(value, dict):
        raise MalformedPayload(f"{where}{key} must be an object")
    return value


# A required field comes back as its value, never None: the overloads let callers rely on it.
@overload
def text(payload: dict, key: str, where: str = "", required: Literal[True] = True, max_length: int = 500) -> str: ...
@overload
def text(payload: dict, key: str, where: str = "", *, required: bool, max_length: int = 500) -> str | None: ...
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


@overload
def timestamp(payload: dict, key: str, where: str = "", required: Literal[True] = True) -> datetime: ...
@overload
def timestamp(payload: dict, key: str, where: str = "", *, required: bool) -> datetime | None: ...
def timestamp(payload: dict, key: str, where: str = "", required: bool = True) -> datetime | None:
    value = payload.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise MalformedPayload(f"{where}{key} must be an ISO 8601 timestamp")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        # Moving 0001-01-01T00:00+01:00 to UTC leaves the range of datetime: OverflowError.
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise MalformedPayload(f"{where}{key} must be an ISO 8601 timestamp (got {value[:40]!r})") from None


@overload
def sha(payload: dict, key: str, where: str = "", required: Literal[True] = True) -> str: ...
@overload
def sha(payload: dict, key: str, where: str = "", *, required: bool) -> str | None: ...
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
        found.append(
            Change(
                sha(commit, sha_key, f"commits[{i}]."),
                timestamp(commit, time_key, f"commits[{i}].", required=time_required),
            )
        )
    return found


def is_production(environment: str, flag: Any, production_environments: frozenset[str]) -> bool:
    """The sender's own flag when it has one, else the environment's name."""
    if isinstance(flag, bool):
        return flag
    return environment.strip().lower() in production_environments
