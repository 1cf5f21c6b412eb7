"""Which events a subscriber or a webhook wants: one rule for both."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EventFilter:
    """Each collection given narrows the events to those matching one of its values; None
    (or, for a stored webhook, empty) lets every event through."""

    kinds: Collection[str] | None = None
    project_ids: Collection[str] | None = None
    artifact_ids: Collection[str] | None = None

    def __call__(self, event: dict[str, Any]) -> bool:
        return (
            (not self.kinds or event["action"] in self.kinds)
            and (not self.project_ids or not set(self.project_ids).isdisjoint(event.get("project_ids") or ()))
            and (not self.artifact_ids or not set(self.artifact_ids).isdisjoint(event.get("artifact_ids") or ()))
        )
