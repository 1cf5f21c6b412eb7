"""Neo4j connection pool usage, sampled when /metrics is scraped.

The driver has no public API for its pool, so this reads its internals defensively: if a
driver version lays them out differently, the pool gauges are simply left unset (the
`maestro_neo4j_sessions_in_use` gauge, kept by GraphDB itself, still shows the load).
"""

from __future__ import annotations

import logging
from typing import Any

from maestro_graph.observability import prometheus

log = logging.getLogger("maestro_graph.observability")


def pool_usage(driver: Any) -> tuple[dict[str, tuple[int, int]], int] | None:
    """({address: (in use, idle)}, max per address), or None when the pool cannot be read."""
    pool = getattr(driver, "_pool", None)
    connections = getattr(pool, "connections", None)
    config = getattr(pool, "pool_config", None)
    if not isinstance(connections, dict) or config is None:
        return None
    usage = {}
    # Copies: the pool changes under us while requests run.
    for address, pooled in list(connections.items()):
        pooled = list(pooled)
        in_use = sum(1 for connection in pooled if getattr(connection, "in_use", False))
        usage[str(address)] = (in_use, len(pooled) - in_use)
    return usage, int(getattr(config, "max_connection_pool_size", 0))


def sample(driver: Any) -> None:
    try:
        read = pool_usage(driver)
    except Exception:  # a metrics scrape must never fail on driver internals
        log.debug("could not read the Neo4j pool", exc_info=True)
        return
    if read is None:
        return
    usage, max_size = read
    prometheus.POOL_CONNECTIONS.clear()
    for address, (in_use, idle) in usage.items():
        prometheus.POOL_CONNECTIONS.labels(address, "in_use").set(in_use)
        prometheus.POOL_CONNECTIONS.labels(address, "idle").set(idle)
    prometheus.POOL_MAX.set(max_size)
