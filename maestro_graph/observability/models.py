"""The active model version of each task, read from the graph when /metrics is scraped
(at most every REFRESH_SECONDS: `train` runs in another process, so the graph is the only
place that knows), exposed as `maestro_model_active_info{task, version} 1`."""

from __future__ import annotations

import logging
import time

from maestro_graph.db.graph import GraphDB
from maestro_graph.observability import metrics

log = logging.getLogger("maestro_graph.observability")

REFRESH_SECONDS = 15.0
ACTIVE_MODELS = """
MATCH (m:Model {active: true})
RETURN m.task AS task, m.version AS version, m.trained_at.epochMillis / 1000.0 AS trained_at
"""


class ActiveModels:
    def __init__(self) -> None:
        self._read_at = float("-inf")
        self._shown: set[tuple[str, str]] = set()

    async def refresh(self, db: GraphDB) -> None:
        if time.monotonic() - self._read_at < REFRESH_SECONDS:
            return
        try:
            rows = await db.query_once(ACTIVE_MODELS)
        except Exception:  # noqa: BLE001 - Neo4j down: keep showing what was last known
            log.debug("could not read the active models", exc_info=True)
            return
        self._read_at = time.monotonic()
        active = {(row["task"], row["version"]) for row in rows if row["task"] and row["version"]}
        for task, version in self._shown - active:
            # A replaced version must stop counting as active; in multiprocess mode a
            # removed series lingers in the workers' files, so it is zeroed there.
            if metrics.multiprocess_dir():
                metrics.MODEL_ACTIVE.labels(task, version).set(0)
            else:
                metrics.MODEL_ACTIVE.remove(task, version)
        for row in rows:
            if row["task"] and row["version"]:
                metrics.MODEL_ACTIVE.labels(row["task"], row["version"]).set(1)
                if row["trained_at"] is not None:
                    metrics.MODEL_TRAINED_AT.labels(row["task"]).set(row["trained_at"])
        self._shown = active
