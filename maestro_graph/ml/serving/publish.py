"""Writing a trained model's answers into the graph as a new, then active, model version.

Order matters for readers: predictions are written under the new version while the old
version is still active, the switch is one transaction, and only then are the old
version's predictions removed. A reader therefore sees one whole version or the other.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import neo4j

from maestro_graph.iterables import batched
from maestro_graph.repositories import model_publishing

log = logging.getLogger("maestro_graph.train")


@dataclass
class TaskResult:
    """One task's answers: rows with `item` (an id), `score`, and for ranked tasks
    `project`, `rank` (1 = best) and, for artifacts, `because` (ids). `version` names the new
    version when it had to be known before publishing (a model file records it); `model_file`
    is kept on the version (outcome models)."""

    task: str
    rows: Iterable[dict]  # a list, or a stream (scored while earlier rows are written)
    metrics: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    version: str | None = None
    model_file: bytes | None = None


def new_version(task: str, when: datetime | None = None) -> str:
    when = when or datetime.now(UTC)
    return f"{task}-{when.strftime('%Y%m%dT%H%M%S%fZ')}"


def publish(driver: neo4j.Driver, database: str, result: TaskResult, batch_size: int = 5000) -> str:
    """Store `result` as a new active model version of its task; returns the version."""
    when = datetime.now(UTC)
    version = result.version or new_version(result.task, when)
    model_publishing.create_model(
        driver,
        database,
        task=result.task,
        version=version,
        trained_at=when.isoformat(),
        metrics=json.dumps(result.metrics, sort_keys=True),
        params=json.dumps(result.params, sort_keys=True),
        model_file=result.model_file,
    )
    try:
        for chunk in batched(result.rows, batch_size):
            model_publishing.write_answers(driver, database, result.task, version, chunk)
    except BaseException:
        # Rows that fail to come (a scoring error) or to be written leave no half version
        # behind; the active version was never touched. Best effort: the first error is the one
        # that matters, so one from the clean-up (Neo4j gone, say) is not raised over it.
        try:
            model_publishing.discard(driver, database, result.task, version)
        except Exception:
            log.warning("could not discard the unfinished model version", extra={"version": version}, exc_info=True)
        raise
    model_publishing.activate(driver, database, result.task, version)
    model_publishing.delete_stale(driver, database, result.task, version)
    return version
