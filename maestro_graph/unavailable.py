"""HTTP 503 for any route whose handler let a Neo4j outage escape (the OAuth endpoints,
the webhooks, the Explorer's data): registered as Starlette exception handlers, so a client
gets "retry later" with `Retry-After` rather than a 500. /graphql answers its own 503 (see
graphql/unavailable.py), since Strawberry turns exceptions into GraphQL errors first."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse

from maestro_graph.db.availability import RETRY_AFTER_SECONDS, UNAVAILABLE

log = logging.getLogger("maestro_graph.app")


async def neo4j_unavailable(request: Request, error: Exception) -> JSONResponse:
    log.warning("Neo4j unavailable during %s %s: %s: %s", request.method, request.url.path, type(error).__name__, error)
    body = {"errors": [{"message": "the graph database is unavailable; retry shortly",
                        "extensions": {"code": "SERVICE_UNAVAILABLE"}}]}
    return JSONResponse(body, 503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


EXCEPTION_HANDLERS = {error_type: neo4j_unavailable for error_type in UNAVAILABLE}
