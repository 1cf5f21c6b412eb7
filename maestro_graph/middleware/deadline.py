"""Every HTTP request gets a deadline (`MAESTRO_REQUEST_DEADLINE_SECONDS`).

A request still running at its deadline is cancelled and answered with HTTP 504 and the
code DEADLINE_EXCEEDED, so a slow query cannot hold a worker and a client's connection
for ever (a subscription's event stream excepted). Cancellation rolls back the request's
open transaction (a write commits whole or not at all). The Neo4j transactions a request
opens also carry the time left as their server-side timeout (plus a moment, see
`db.graph`), so Neo4j stops working on a query nobody waits for any more. Probes and
scrapes are exempt: they have timeouts of their own.

The deadline can only cut in where a request pauses. Parsing and validating a GraphQL
document never pause, so their cost is bounded instead (`graphql.document_limits`), and
`checkpoint` after them cancels a request whose deadline passed meanwhile before anything
is executed.
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
_timeout: contextvars.ContextVar[asyncio.Timeout | None] = contextvars.ContextVar("request_timeout", default=None)
_EXEMPT = frozenset({"/healthz", "/readyz", "/metrics"})


def seconds_left() -> float | None:
    """Seconds until the current request's deadline; None outside a request."""
    deadline = _deadline.get()
    return None if deadline is None else deadline - time.monotonic()


async def checkpoint() -> None:
    """Cancels the current request here if its deadline has passed.

    After work that did not pause, the deadline's timer can be overdue and not yet fired;
    left alone it would fire at the request's next pause, after the request had started on
    whatever came next. Rescheduled to now, it is queued (call_soon) ahead of this task's
    return from the pause below, so the cancellation lands on this line."""
    timeout, left = _timeout.get(), seconds_left()
    if timeout is None or left is None or left > 0:
        return
    if not timeout.expired():
        timeout.reschedule(asyncio.get_running_loop().time())
    await asyncio.sleep(0)


def _is_event_stream(scope: Scope) -> bool:
    """A subscription over server-sent events: it lives as long as its subscriber does (the
    /graphql view serves only subscriptions on such a request; see graphql.live_transport)."""
    accept = next((value for name, value in scope.get("headers", ()) if name == b"accept"), b"")
    return any(part.split(b";", 1)[0].strip().lower() == b"text/event-stream" for part in accept.split(b","))


class Deadline:
    def __init__(self, app: ASGIApp, seconds: float):
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in _EXEMPT or _is_event_stream(scope):
            await self.app(scope, receive, send)
            return
        token = _deadline.set(time.monotonic() + self.seconds)
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        timeout = asyncio.timeout(self.seconds)
        timeout_token = _timeout.set(timeout)
        try:
            async with timeout:
                await self.app(scope, receive, tracking_send)
        except TimeoutError:
            if not timeout.expired():
                raise  # a timeout of the handler's own, not the deadline
            log.warning("%s %s cancelled at its deadline of %s s", scope.get("method"), scope.get("path"), self.seconds)
            if not started:  # once the answer has begun, the connection can only be cut short
                body = {
                    "errors": [
                        {
                            "message": f"the request took longer than its deadline of {self.seconds:g} s",
                            "extensions": {"code": "DEADLINE_EXCEEDED"},
                        }
                    ]
                }
                await JSONResponse(body, 504)(scope, receive, send)
        finally:
            _timeout.reset(timeout_token)
            _deadline.reset(token)
