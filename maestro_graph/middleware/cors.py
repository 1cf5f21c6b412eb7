"""Cross-origin calls from frontends served elsewhere (a React app on its own origin).

Only the configured origins, exactly; no credentials, since callers authenticate with a
bearer token and never a cookie (so a page on another origin cannot ride on a user's
session); preflights cached so a frontend does not pay one per request. Starlette's
CORSMiddleware does the protocol: a preflight from another origin gets 400, and an actual
request from one gets no `Access-Control-Allow-Origin`, so the browser keeps the answer
from the page.

For the API's paths only (/graphql): pages with their own cross-origin rules (the Neo4j
Browser guide) keep them. Outside the routes' own layers, so every answer to an allowed
origin (a 401, a 413, a 504) carries the header and the frontend can read why it was refused.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from maestro_graph.config import Settings

# What a frontend sends, and the response headers it needs to act on a refusal.
ALLOWED_METHODS = ["GET", "POST"]
ALLOWED_HEADERS = ["Authorization", "Content-Type", "Accept"]
EXPOSED_HEADERS = ["WWW-Authenticate", "Retry-After", "X-Request-ID"]
API_PATHS = frozenset({"/graphql"})


class ApiCORS:
    """Starlette's CORSMiddleware on API_PATHS, for the configured origins; every other path
    passes by untouched."""

    def __init__(self, app: ASGIApp, settings: Settings):
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=settings.cors_allowed_origins,
            allow_credentials=False,
            allow_methods=ALLOWED_METHODS,
            allow_headers=ALLOWED_HEADERS,
            expose_headers=EXPOSED_HEADERS,
            max_age=settings.cors_max_age_seconds,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") in API_PATHS:
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def middleware(settings: Settings) -> list[Middleware]:
    if not settings.cors_allowed_origins:
        return []  # same-origin only: browsers refuse every cross-origin answer
    return [Middleware(ApiCORS, settings=settings)]
