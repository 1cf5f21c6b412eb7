"""How subscriptions travel: graphql-transport-ws on the WebSocket of /graphql, graphql-sse
on its POST with `Accept: text/event-stream`.

Both carry subscriptions only: a query or mutation there would escape the request deadline
that bounds every HTTP request. Both are kept alive (a graphql-transport-ws `ping`, an SSE
comment) so proxies do not cut a quiet stream, and a WebSocket that holds no subscription
for `MAESTRO_SUBSCRIPTION_IDLE_SECONDS` is closed.

A WebSocket authenticates like a request: with `Authorization: Bearer <token>` on the
handshake, or (browsers cannot set that header) `{"Authorization": "Bearer <token>"}` in
the `connection_init` payload; without either, the dev profile lets a loopback caller in as
it does for /graphql, and anyone else is closed with 4403 before any operation runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from strawberry.http.streaming import SSETransport
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_transport_ws.types import ErrorMessage
from strawberry.types.graphql import OperationType as StrawberryOperationType

from maestro_graph.auth.loopback import host_header_is_loopback, is_loopback
from maestro_graph.auth.principal import DEV_ANONYMOUS, Principal
from maestro_graph.auth.tokens import InvalidToken
from maestro_graph.config import Settings
from maestro_graph.graphql.context import Context
from maestro_graph.graphql.errors import ErrorCode

log = logging.getLogger("maestro_graph.live")

# The close codes of graphql-transport-ws (4403: forbidden; 4408: timed out).
CLOSE_FORBIDDEN = 4403
CLOSE_IDLE = 4408


def sse_transport(heartbeat_seconds: float) -> type[SSETransport]:
    """graphql-sse for subscriptions only, with a comment line every `heartbeat_seconds`."""

    class SubscriptionEvents(SSETransport):
        def __init__(self) -> None:
            super().__init__(heartbeat_interval=heartbeat_seconds)

        def allowed_operation_types(
            self, allowed_operation_types: set[StrawberryOperationType]
        ) -> Iterable[StrawberryOperationType]:
            return (StrawberryOperationType.SUBSCRIPTION,)

    return SubscriptionEvents


def only_subscriptions(query: object, max_tokens: int) -> bool | None:
    """Whether every operation of `query` is a subscription; None when it does not parse
    (the schema answers that with its own error)."""
    if not isinstance(query, str):
        return None
    try:
        document = parse(query, max_tokens=max_tokens)
    except GraphQLError:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return all(operation.operation == OperationType.SUBSCRIPTION for operation in operations)


def _bearer(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    kind, _, token = value.partition(" ")
    return token.strip() if kind.lower() == "bearer" and token.strip() else None


async def websocket_principal(websocket: Any, settings: Settings, params: dict[str, Any]) -> Principal | None:
    """Who opened `websocket`: its handshake's bearer token, else the one in the
    `connection_init` payload `params`, else the dev profile's loopback caller; None when
    refused."""
    header = websocket.headers.get("authorization")
    sent = header if header is not None else params.get("Authorization") or params.get("authorization")
    token = _bearer(sent)
    if header is not None and token is None:
        return None
    if token is not None:
        try:
            return await websocket.app.state.auth.authenticator.authenticate(token)
        except InvalidToken:
            return None
    peer = websocket.client.host if websocket.client else None
    if settings.is_dev and is_loopback(peer) and host_header_is_loopback(websocket.headers.get("host")):
        return DEV_ANONYMOUS
    return None


class LiveWebSocket(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws with pings, an idle timeout, and subscriptions only."""

    async def handle(self) -> None:
        watchdog = asyncio.create_task(self._watch())
        try:
            await super().handle()
        finally:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog

    async def _watch(self) -> None:
        settings: Settings = self.view.settings  # type: ignore[attr-defined]
        loop = asyncio.get_running_loop()
        idle_since = loop.time()
        step = min(settings.subscription_heartbeat_seconds, settings.subscription_idle_seconds)
        next_ping = loop.time() + settings.subscription_heartbeat_seconds
        with contextlib.suppress(Exception):
            while True:
                await asyncio.sleep(step)
                now = loop.time()
                if self.operations:
                    idle_since = now
                elif now - idle_since >= settings.subscription_idle_seconds:
                    await self.websocket.close(code=CLOSE_IDLE, reason="Idle: no subscription")
                    return
                if self.connection_acknowledged and now >= next_ping:
                    await self.send_message({"type": "ping"})
                    next_ping = now + settings.subscription_heartbeat_seconds

    async def handle_subscribe(self, message: Any) -> None:
        payload = message.get("payload") if isinstance(message, dict) else None
        query = payload.get("query") if isinstance(payload, dict) else None
        if self.connection_acknowledged and only_subscriptions(query, self.view.max_tokens) is False:  # type: ignore[attr-defined]
            error = {
                "message": "only subscriptions are served over WebSocket; send queries and mutations by POST",
                "extensions": {"code": ErrorCode.BAD_USER_INPUT.value},
            }
            await self.send_message(ErrorMessage(id=message["id"], type="error", payload=[error]))  # type: ignore[list-item]
            return
        await super().handle_subscribe(message)
