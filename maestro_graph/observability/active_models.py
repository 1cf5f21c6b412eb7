"""The active model version of each task, exposed as `maestro_model_active_info{task, version} 1`
and refreshed from the graph when /metrics is scraped, at most every REFRESH_SECONDS: `train`
runs in another process, so the graph is the only place that knows. Whether that read worked
is `maestro_neo4j_up`: a scrape-time sign of Neo4j that needs no traffic to show.

The read itself is the repositories' (`predictions.active_models`), handed in by the app:
observability is what the database layer records into, so it imports nothing of that layer.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from maestro_graph.observability import prometheus

log = logging.getLogger("maestro_graph.observability")

REFRESH_SECONDS = 15.0

# Given the app's `GraphDB`, the rows {task, version, trained_at (epoch seconds)} of the active versions.
ReadActiveModels = Callable[[Any], Awaitable[list[dict[str, Any]]]]


class ActiveModels:
    def __init__(self, read: ReadActiveModels) -> None:
        self._read = read
        self._read_at = float("-inf")
        self._shown: set[tuple[str, str]] = set()

    async def refresh(self, db: Any) -> None:
        if time.monotonic() - self._read_at < REFRESH_SECONDS:
            return
        try:
            rows = await self._read(db)
        except Exception:  # Neo4j down: keep showing what was last known
            log.debug("could not read the active models", exc_info=True)
            prometheus.NEO4J_UP.set(0)
            return
        prometheus.NEO4J_UP.set(1)
        self._read_at = time.monotonic()
        active = {(row["task"], row["version"]) for row in rows if row["task"] and row["version"]}
        for task, version in self._shown - active:
            # A replaced version must stop counting as active; in multiprocess mode a
            # removed series lingers in the workers' files, so it is zeroed there.
            if prometheus.multiprocess_dir():
                prometheus.MODEL_ACTIVE.labels(task, version).set(0)
            else:
                prometheus.MODEL_ACTIVE.remove(task, version)
        for row in rows:
            if row["task"] and row["version"]:
                prometheus.MODEL_ACTIVE.labels(row["task"], row["version"]).set(1)
                if row["trained_at"] is not None:
                    prometheus.MODEL_TRAINED_AT.labels(row["task"]).set(row["trained_at"])
        self._shown = active
