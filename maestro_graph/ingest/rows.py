"""Turning one CSV bundle row into the validated row a write query takes.

Each parser raises InvalidInput naming the column at fault; the importer turns that
into a rejected-row report line and goes on with the rest.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from maestro_graph import domain
from maestro_graph.domain import InvalidInput

# Neo4j's zone offsets reach ±18:00 and the driver sends whole minutes only.
_MAX_UTC_OFFSET = timedelta(hours=18)


def _optional(row: dict[str, str], column: str) -> str | None:
    value = row.get(column)
    return value if value else None


def _timestamp(row: dict[str, str], column: str) -> datetime | None:
    """An ISO 8601 timestamp (UTC when it names no offset) that Neo4j and its driver can store."""
    value = _optional(row, column)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(column, f"is not an ISO 8601 timestamp (got {domain.quoted(value)})") from None
    offset = parsed.utcoffset()
    if offset is None:
        return parsed.replace(tzinfo=UTC)
    if abs(offset) > _MAX_UTC_OFFSET or offset % timedelta(minutes=1):
        raise InvalidInput(
            column, f"has a UTC offset outside ±18:00 or not in whole minutes (got {domain.quoted(value)})"
        )
    try:
        parsed.astimezone(UTC)  # the driver sends UTC: it must exist as a datetime too
    except OverflowError:
        raise InvalidInput(column, f"is out of range (got {domain.quoted(value)})") from None
    return parsed


def project(row: dict[str, str]) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": domain.valid_name(row.get("name"), "name"),
        "description": domain.valid_text(row.get("description"), "description"),
        "section": domain.valid_indexed_text(row.get("section"), "section"),
        "tags": domain.valid_tags(row.get("tags")),
    }
    if _optional(row, "status"):
        props["status"] = domain.valid_choice(row["status"], domain.PROJECT_STATUSES, "status")
    return {
        "id": domain.valid_id(row.get("project_id"), "project_id"),
        "props": props,
        "created_at": _timestamp(row, "created_at"),
    }


def artifact(row: dict[str, str]) -> dict[str, Any]:
    kind = _optional(row, "kind")
    props: dict[str, Any] = {
        "name": domain.valid_name(row.get("name"), "name"),
        "kind": domain.valid_choice(kind, domain.ARTIFACT_KINDS, "kind") if kind else "other",
        "description": domain.valid_text(row.get("description"), "description"),
        "section": domain.valid_text(row.get("section"), "section"),
        "version": domain.valid_text(row.get("version"), "version"),
        "uri": domain.valid_text(row.get("uri"), "uri"),
    }
    return {
        "id": domain.valid_id(row.get("artifact_id"), "artifact_id"),
        "props": props,
        "created_at": _timestamp(row, "created_at"),
    }


def person(row: dict[str, str]) -> dict[str, Any]:
    kind = _optional(row, "kind")
    props: dict[str, Any] = {
        "kind": domain.valid_choice(kind, domain.PERSON_KINDS, "kind") if kind else "person",
        "name": domain.valid_indexed_text(row.get("name"), "name"),
    }
    return {
        "id": domain.valid_id(row.get("person_id"), "person_id"),
        "props": props,
        "created_at": _timestamp(row, "created_at"),
    }


def team(row: dict[str, str]) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": domain.valid_name(row.get("name"), "name"),
        "description": domain.valid_text(row.get("description"), "description"),
    }
    return {
        "id": domain.valid_id(row.get("team_id"), "team_id"),
        "props": props,
        "created_at": _timestamp(row, "created_at"),
    }


def created(row: dict[str, str]) -> dict[str, Any]:
    return {
        "person_id": domain.valid_id(row.get("person_id"), "person_id"),
        "artifact_id": domain.valid_id(row.get("artifact_id"), "artifact_id"),
        "at": _timestamp(row, "at"),
    }


def derived_from(row: dict[str, str]) -> dict[str, Any]:
    return {
        "artifact_id": domain.valid_id(row.get("artifact_id"), "artifact_id"),
        "source_id": domain.valid_id(row.get("source_id"), "source_id"),
    }


def team_member(row: dict[str, str]) -> dict[str, Any]:
    return {
        "person_id": domain.valid_id(row.get("person_id"), "person_id"),
        "team_id": domain.valid_id(row.get("team_id"), "team_id"),
    }


def uses(row: dict[str, str]) -> dict[str, Any]:
    count = _optional(row, "count")
    return {
        "project_id": domain.valid_id(row.get("project_id"), "project_id"),
        "artifact_id": domain.valid_id(row.get("artifact_id"), "artifact_id"),
        "kind": domain.valid_text(row.get("kind"), "kind"),
        "count": domain.valid_count(count, "count") if count else None,
        "context": domain.valid_text(row.get("context"), "context"),
        "used_at": _timestamp(row, "used_at"),
    }


def member(row: dict[str, str]) -> dict[str, Any]:
    role = _optional(row, "role")
    return {
        "person_id": domain.valid_id(row.get("person_id"), "person_id"),
        "project_id": domain.valid_id(row.get("project_id"), "project_id"),
        "role": domain.valid_choice(role, domain.MEMBER_ROLES, "role") if role else "contributor",
        "since": _timestamp(row, "since"),
    }


def outcome(row: dict[str, str]) -> dict[str, Any]:
    return {
        "project_id": domain.valid_id(row.get("project_id"), "project_id"),
        "success": domain.valid_outcome(row.get("survived_next_release")),
    }
