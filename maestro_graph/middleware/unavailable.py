"""HTTP 503 for any route whose handler let an outage of the graph database escape (the OAuth
endpoints, the webhooks, the Explorer's data): registered as Starlette exception handlers, so a
client gets "retry later" with `Retry-After` rather than a 500. /graphql answers its own 503
(see graphql/unavailable.py), since Strawberry turns exceptions into GraphQL errors first.

Which errors mean an outage, and how long to wait, is the database layer's knowledge
(`db.availability`): the app passes them in, and this package imports nothing of the layers
it wraps.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

log = logging.getLogger("maestro_graph.app")

ExceptionHandler = Callable[[Request, Exception], Awaitable[Response]]


def outage_handlers(
    errors: Iterable[type[BaseException]], retry_after_seconds: int
) -> dict[type[BaseException], ExceptionHandler]:
    """One handler answering 503 SERVICE_UNAVAILABLE, registered for each of `errors`."""

    async def unavailable(request: Request, error: Exception) -> Response:
        log.warning(
            "Neo4j unavailable during %s %s: %s: %s", request.method, request.url.path, type(error).__name__, error
        )
        body = {
            "errors": [
                {
                    "message": "the graph database is unavailable; retry shortly",
                    "extensions": {"code": "SERVICE_UNAVAILABLE"},
                }
            ]
        }
        return JSONResponse(body, 503, headers={"Retry-After": str(retry_after_seconds)})

    return dict.fromkeys(errors, unavailable)
