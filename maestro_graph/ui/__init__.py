"""The Explorer: a web page over the public GraphQL API, served at /ui.

Plain HTML, JavaScript and CSS from `static/` beside this file (no build step, nothing
loaded from elsewhere), plus `/ui/config.json`, which tells the page what only the
server knows: the profile and where Neo4j Browser is. The page reads the graph through
/graphql like any other client, with the user's bearer token when one is entered.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from maestro_graph.config import Settings

STATIC_DIR = Path(__file__).resolve().parent / "static"

# Everything the page needs comes from this origin; no inline script or style, no frames.
_SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    # Revalidated on every load (ETag), so a new release is picked up at once.
    "cache-control": "no-cache",
}


class _WithHeaders:
    """Adds the security headers to every response of the wrapped app."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k.encode(), v.encode()) for k, v in _SECURITY_HEADERS.items() if k.encode() not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def ui_config(settings: Settings):
    async def config(request: Request) -> JSONResponse:
        state = request.app.state
        return JSONResponse({
            "profile": settings.profile,
            "graphqlPath": "/graphql",
            "neo4jBrowserUrl": getattr(state, "neo4j_browser_url", None),
            "neo4jDatabase": getattr(state, "neo4j_database", None),
            "pageSize": min(settings.page_size_default, settings.page_size_max),
            "maxPageSize": settings.page_size_max,
        }, headers=_SECURITY_HEADERS)

    return config


async def _to_slash(request: Request) -> RedirectResponse:
    return RedirectResponse("/ui/", status_code=308)


def routes(settings: Settings) -> list[BaseRoute]:
    """/ui (the page), /ui/config.json and the static files."""
    return [
        Route("/ui", _to_slash),
        Mount("/ui", routes=[
            Route("/config.json", ui_config(settings)),
            Mount("/", app=_WithHeaders(StaticFiles(directory=STATIC_DIR, html=True))),
        ]),
    ]
