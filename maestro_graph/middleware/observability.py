"""The outermost layer of every HTTP request: gives it a request id (returned in
`X-Request-ID`), times it for /metrics, opens its trace span, and writes its access log line.

GraphQL details (operation name, type, outcome, Cypher round trips) are filled into the
request's `observability.request_record` by the schema extension in
`observability.graphql_metrics`, so the latency recorded per operation is the whole
request's, authentication included. What is recorded, and how, is `observability`'s; this
layer only decides when.
"""

from __future__ import annotations

import logging
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from maestro_graph.observability import prometheus, request_id, request_record, tracing
from maestro_graph.observability.request_record import RequestRecord

log = logging.getLogger("maestro_graph.access")

# Probes and scrapes arrive every few seconds; their lines would bury the requests that matter.
_QUIET_PATHS = {"/healthz", "/readyz", "/metrics"}
_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}


def _outcome_from_status(status: int) -> str:
    if status == 401:
        return "unauthenticated"
    if status == 503:
        return "unavailable"
    if status == 504:
        return "deadline_exceeded"
    if status >= 500:
        return "error"
    return "client_error" if status >= 400 else "ok"


class Observability:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        rid = request_id.accept_or_generate(headers.get(request_id.HEADER))
        record = RequestRecord()
        rid_token, record_token = request_id.bind(rid), request_record.bind(record)
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"
        status = 500  # what the client gets when the app raises before answering
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = rid
            await send(message)

        prometheus.HTTP_IN_FLIGHT.inc()
        try:
            with tracing.server_span(
                method, headers, {"http.request.method": method, "url.path": scope["path"], "maestro.request_id": rid}
            ) as span:
                try:
                    await self.app(scope, receive, send_with_id)
                except Exception:
                    log.exception("unhandled error in %s %s", method, scope["path"])
                    raise
                finally:
                    if span is not None:
                        _annotate(span, method, _route(scope), status, record)
        finally:
            prometheus.HTTP_IN_FLIGHT.dec()
            self._account(scope, method, status, time.perf_counter() - started, record)
            request_record.unbind(record_token)
            request_id.unbind(rid_token)

    def _account(self, scope: Scope, method: str, status: int, seconds: float, record: RequestRecord) -> None:
        route = _route(scope)
        prometheus.HTTP_DURATION.labels(route, method, str(status)).observe(seconds)
        fields = {
            "method": method,
            "path": scope["path"],
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
        }
        client = scope.get("client")
        if client:
            fields["client"] = client[0]
        principal = (scope.get("state") or {}).get("principal")
        if principal is not None and getattr(principal, "actor", None):
            fields["actor"] = principal.actor
        if route == "/graphql":
            outcome = record.outcome or _outcome_from_status(status)
            # A 503 decided after execution (Neo4j gone) or a 504 (the deadline) outranks what
            # the operation reported.
            if status in (503, 504):
                outcome = _outcome_from_status(status)
            prometheus.GRAPHQL_DURATION.labels(
                record.operation or "unknown", record.operation_type or "unknown", outcome
            ).observe(seconds)
            fields.update(
                operation=record.operation,
                operation_type=record.operation_type,
                outcome=outcome,
                round_trips=record.round_trips,
            )
        level = logging.DEBUG if scope["path"] in _QUIET_PATHS else logging.WARNING if status >= 500 else logging.INFO
        log.log(level, "%s %s %s", method, scope["path"], status, extra=fields)


def _route(scope: Scope) -> str:
    """The matched route's template (set on the scope by Starlette's router), never the raw
    path: one label value per route, not per URL anyone can type."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else "unmatched"


def _annotate(span, method: str, route: str, status: int, record: RequestRecord) -> None:
    span.update_name(f"{method} {route}")
    span.set_attribute("http.route", route)
    span.set_attribute("http.response.status_code", status)
    if record.operation:
        span.set_attribute("graphql.operation.name", record.operation)
    if record.operation_type:
        span.set_attribute("graphql.operation.type", record.operation_type)
    if status >= 500:
        from opentelemetry.trace import Status, StatusCode

        span.set_status(Status(StatusCode.ERROR))
