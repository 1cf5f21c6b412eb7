"""The door of /graphql: every request leaves here with a Principal or a 401.

A bearer token, when sent, must be valid in every profile. Without one, the production
profile refuses the request; the dev profile lets a loopback caller that names this machine
by a loopback `Host` in with full rights (and says so in the log), and refuses anyone else
(see auth.loopback for why the `Host` counts).
"""

from __future__ import annotations

import logging

import neo4j
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from maestro_graph.auth.loopback import host_header_is_loopback, is_loopback
from maestro_graph.auth.principal import DEV_ANONYMOUS
from maestro_graph.auth.tokens import InvalidToken
from maestro_graph.config import Settings

log = logging.getLogger("maestro_graph.auth")

PRINCIPAL_KEY = "principal"
# Checking a token needs Neo4j (revocations, clients, keys); without it the answer is "try later".
NEO4J_UNAVAILABLE = (neo4j.exceptions.DriverError, neo4j.exceptions.TransientError, OSError)


def _unauthorized(message: str, error: str | None = None) -> JSONResponse:
    # RFC 6750 §3: say which scheme, and when a token was sent, what was wrong with it.
    challenge = 'Bearer realm="maestro-graph"' + (f', error="{error}"' if error else "")
    body = {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]}
    return JSONResponse(body, 401, headers={"WWW-Authenticate": challenge, "Cache-Control": "no-store"})


class BearerGuard:
    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.settings = settings
        self._warned = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        header = request.headers.get("authorization")
        if header is None:
            response = self._anonymous(request)
            if response is not None:
                await response(scope, receive, send)
                return
        else:
            kind, _, token = header.partition(" ")
            if kind.lower() != "bearer" or not token.strip():
                await _unauthorized("the Authorization header must be 'Bearer <token>'", "invalid_request")(
                    scope, receive, send
                )
                return
            try:
                principal = await request.app.state.auth.authenticator.authenticate(token.strip())
            except InvalidToken as error:
                await _unauthorized(f"invalid token: {error}", "invalid_token")(scope, receive, send)
                return
            except NEO4J_UNAVAILABLE:
                log.exception("could not check a token: Neo4j unavailable")
                body = {
                    "errors": [
                        {
                            "message": "authentication is unavailable, retry shortly",
                            "extensions": {"code": "SERVICE_UNAVAILABLE"},
                        }
                    ]
                }
                await JSONResponse(body, 503, headers={"Retry-After": "5"})(scope, receive, send)
                return
            scope.setdefault("state", {})[PRINCIPAL_KEY] = principal
        await self.app(scope, receive, send)

    def _anonymous(self, request: Request) -> JSONResponse | None:
        peer = request.client.host if request.client else None
        if not (self.settings.is_dev and is_loopback(peer)):
            return _unauthorized("authentication required: send 'Authorization: Bearer <access token>'")
        if not host_header_is_loopback(request.headers.get("host")):
            # A loopback peer naming another host is what a DNS-rebinding page looks like.
            return _unauthorized(
                "the dev profile serves requests without a token only when they address this "
                "machine as localhost, 127.0.0.1 or [::1]; use such an address or send a bearer token"
            )
        if not self._warned:
            log.warning("dev profile: anonymous request from %s given FULL rights (read, write, admin)", peer)
            self._warned = True
        request.scope.setdefault("state", {})[PRINCIPAL_KEY] = DEV_ANONYMOUS
        return None
