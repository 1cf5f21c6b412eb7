"""Every HTTP request gets a deadline (`MAESTRO_REQUEST_DEADLINE_SECONDS`).

A request still running at its deadline is cancelled and answered with HTTP 504 and the
code DEADLINE_EXCEEDED, so a slow query cannot hold a worker and a client's connection
for ever. Cancellation rolls back the request's open transaction (a write commits whole
or not at all). The Neo4j transactions a request opens also carry the time left as their
server-side timeout (plus a moment, see `db.graph`), so Neo4j stops working on a query
nobody waits for any more. Probes and scrapes are exempt: they have timeouts of their own.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("maestro_graph.deadline")

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("request_deadline", default=None)
_EXEMPT = frozenset({"/healthz", "/readyz", "/metrics"})


def seconds_left() -> float | None:
    """Seconds until the current request's deadline; None outside a request."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


class Deadline:
    def __init__(self, app: ASGIApp, seconds: float):
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in _EXEMPT:
            await self.app(scope, receive, send)
            return
        token = _deadline.set(time.monotonic() + self.seconds)
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        timeout = asyncio.timeout(self.seconds)
        try:
            async with timeout:
                await self.app(scope, receive, tracking_send)
        except TimeoutError:
            if not timeout.expired():
                raise  # a timeout of the handler's own, not the deadline
            log.warning("%s %s cancelled at its deadline of %s s", scope.get("method"), scope.get("path"), self.seconds)
            if not started:  # once the answer has begun, the connection can only be cut short
                body = {"errors": [{"message": f"the request took longer than its deadline of {self.seconds:g} s",
                                    "extensions": {"code": "DEADLINE_EXCEEDED"}}]}
                await JSONResponse(body, 504)(scope, receive, send)
        finally:
            _deadline.reset(token)
