"""The Prometheus metrics the service exposes on /metrics, defined once per process.

Labels are kept to small, known sets: a label value per client-chosen string would let any
caller grow the registry without bound, so GraphQL operation names are capped (see
`operation_label`) and routes are the app's route templates, never raw paths.

With several uvicorn workers in one container, `serve --workers` points
PROMETHEUS_MULTIPROC_DIR at a shared folder and /metrics sums every worker's values.
"""

from __future__ import annotations

import os
import re
import threading

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_QUERY_LATENCY = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_ROUND_TRIPS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64)

HTTP_DURATION = Histogram(
    "maestro_http_request_duration_seconds",
    "HTTP requests by route template, method and status.",
    ["route", "method", "status"],
    buckets=_LATENCY,
)
HTTP_IN_FLIGHT = Gauge(
    "maestro_http_requests_in_flight",
    "HTTP requests being served now.",
    multiprocess_mode="livesum",
)
LIVE_SUBSCRIPTIONS = Gauge(
    "maestro_live_subscriptions",
    "Live subscriptions (graphChanged, modelPublished, predictionChanged) being served now.",
    multiprocess_mode="livesum",
)
GRAPHQL_DURATION = Histogram(
    "maestro_graphql_request_duration_seconds",
    "Whole /graphql requests (authentication included) by operation name, type and outcome "
    "(ok, client_error, unavailable, error, unauthenticated).",
    ["operation", "type", "outcome"],
    buckets=_LATENCY,
)
GRAPHQL_ROUND_TRIPS = Histogram(
    "maestro_graphql_cypher_round_trips",
    "Cypher round trips one GraphQL request took.",
    ["type"],
    buckets=_ROUND_TRIPS,
)
GRAPHQL_COMPILED_READS = Counter(
    "maestro_graphql_compiled_reads_total",
    "Query operations answered without resolvers (compiled) or left to execution (executed), "
    "with MAESTRO_GRAPHQL_COMPILED_READS on.",
    ["path"],
)
CYPHER_DURATION = Histogram(
    "maestro_cypher_query_duration_seconds",
    "One Cypher query: sent, run and its rows read.",
    buckets=_QUERY_LATENCY,
)
TRANSACTION_DURATION = Histogram(
    "maestro_neo4j_transaction_duration_seconds",
    "A unit of work, retries included, by access mode and outcome (ok, rejected, unavailable, error).",
    ["mode", "outcome"],
    buckets=_LATENCY,
)
SESSIONS_IN_USE = Gauge(
    "maestro_neo4j_sessions_in_use",
    "Units of work holding a pooled connection now.",
    multiprocess_mode="livesum",
)
POOL_CONNECTIONS = Gauge(
    "maestro_neo4j_pool_connections",
    "Connections in the driver's pool by server and state (in_use, idle), sampled at scrape time.",
    ["address", "state"],
    multiprocess_mode="livesum",
)
POOL_MAX = Gauge(
    "maestro_neo4j_pool_max_connections",
    "The pool's size limit per server.",
    multiprocess_mode="livemax",
)
MODEL_ACTIVE = Gauge(
    "maestro_model_active_info",
    "1 for the active model version of each task.",
    ["task", "version"],
    multiprocess_mode="livemax",
)
MODEL_TRAINED_AT = Gauge(
    "maestro_model_active_trained_timestamp_seconds",
    "When the active model version of each task was trained.",
    ["task"],
    multiprocess_mode="livemax",
)
NEO4J_UP = Gauge(
    "maestro_neo4j_up",
    "1 when Neo4j answered the last read made at scrape time (the active models), 0 when it did not.",
    multiprocess_mode="livemin",
)
MODEL_MAX_AGE = Gauge(
    "maestro_model_max_age_seconds",
    "How old an active model version may grow before it counts as stale (MAESTRO_MODEL_MAX_AGE_HOURS).",
    multiprocess_mode="livemax",
)

# --- operation names -------------------------------------------------------------------

MAX_OPERATION_NAMES = 200
_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,63}$")
_seen_operations: set[str] = set()
_seen_lock = threading.Lock()


def operation_label(name: str | None) -> str:
    """The label for a GraphQL operation name: `anonymous` when unnamed, `other` once
    MAX_OPERATION_NAMES distinct names have been seen (a process sees the few names its
    clients use; anything beyond is noise or abuse)."""
    if not name:
        return "anonymous"
    if not _NAME.match(name):
        return "other"
    with _seen_lock:
        if name in _seen_operations:
            return name
        if len(_seen_operations) >= MAX_OPERATION_NAMES:
            return "other"
        _seen_operations.add(name)
        return name


# --- exposition ------------------------------------------------------------------------

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def multiprocess_dir() -> str | None:
    # prometheus_client still honours the lower-case name it used first.
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")  # noqa: SIM112


def exposition() -> bytes:
    """Every metric in Prometheus' text format: this process's, or all workers' together."""
    if multiprocess_dir():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY)
