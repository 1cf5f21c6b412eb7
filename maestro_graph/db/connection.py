"""Which Neo4j to talk to, and drivers for it.

With NEO4J_URI set, that server is used and nothing is started. Otherwise the
managed local server under the data dir is used (and started on request).
"""

from __future__ import annotations

from dataclasses import dataclass

import neo4j

from maestro_graph.config import Settings
from maestro_graph.db import managed_neo4j


@dataclass(frozen=True)
class Neo4jTarget:
    uri: str
    user: str
    password: str
    database: str
    browser_url: str | None = None
    managed: bool = False


class Neo4jUnavailable(RuntimeError):
    """No Neo4j is configured or running."""


def resolve_target(settings: Settings, start_managed: bool = False) -> Neo4jTarget:
    """The Neo4j the settings point at; starts the managed one only when asked."""
    if settings.neo4j_uri:
        password = settings.neo4j_password.get_secret_value() if settings.neo4j_password else ""
        return Neo4jTarget(settings.neo4j_uri, settings.neo4j_user, password, settings.neo4j_database)
    if start_managed:
        conn = managed_neo4j.start(
            settings.data_dir, bolt_port=settings.neo4j_bolt_port, http_port=settings.neo4j_http_port
        )
    else:
        running = managed_neo4j.status(settings.data_dir)
        if running is None:
            raise Neo4jUnavailable(
                f"No Neo4j: set NEO4J_URI, or start the managed server with `maestro-graph neo4j start` "
                f"(data dir {settings.data_dir})."
            )
        conn = running
    return Neo4jTarget(conn.uri, conn.user, conn.password, settings.neo4j_database, conn.browser_url, managed=True)


# Server notifications (e.g. "label does not exist yet" on an empty graph) are advice for
# people writing queries by hand; logged on every call they would drown real warnings.
_MIN_NOTIFICATION_SEVERITY = neo4j.NotificationMinimumSeverity.OFF


def open_driver(target: Neo4jTarget) -> neo4j.Driver:
    return neo4j.GraphDatabase.driver(
        target.uri, auth=(target.user, target.password), notifications_min_severity=_MIN_NOTIFICATION_SEVERITY
    )


def open_async_driver(
    target: Neo4jTarget,
    max_pool_size: int = 50,
    *,
    connection_timeout: float = 5.0,
    acquisition_timeout: float = 10.0,
    retry_seconds: float = 30.0,
) -> neo4j.AsyncDriver:
    return neo4j.AsyncGraphDatabase.driver(
        target.uri,
        auth=(target.user, target.password),
        max_connection_pool_size=max_pool_size,
        # Fail fast when Neo4j is gone instead of hanging a request for the default minute.
        # The acquisition timeout includes opening a connection, so it must exceed connection_timeout.
        connection_acquisition_timeout=max(acquisition_timeout, connection_timeout),
        connection_timeout=connection_timeout,
        max_transaction_retry_time=retry_seconds,
        # Short first retry delay: a deadlock usually clears within milliseconds, and a short
        # retry window should still allow a few attempts (the driver's default waits 1 s first).
        initial_retry_delay=0.25,
        notifications_min_severity=_MIN_NOTIFICATION_SEVERITY,
    )


def open_api_driver(target: Neo4jTarget, settings: Settings) -> neo4j.AsyncDriver:
    """The serving driver: bounded waits everywhere, so an outage answers 503 in seconds."""
    return open_async_driver(
        target,
        settings.neo4j_pool_size,
        connection_timeout=settings.neo4j_connection_timeout_seconds,
        acquisition_timeout=settings.neo4j_acquisition_timeout_seconds,
        retry_seconds=settings.neo4j_retry_seconds,
    )
