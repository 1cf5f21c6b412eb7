"""The Explorer: a web page over the public GraphQL API, served at /ui.

Native ES modules, CSS and GraphQL documents from `static/` beside this file (no build step,
nothing loaded from elsewhere), plus what only the server can write: `/ui/config.json` (the
profile, where Neo4j Browser is and the queries it opens on a node), `/ui/graph-model.json`
(the graph's labels, relationship types and vocabularies, from `maestro_graph.graph_model`)
and `/ui/browser-guide.html` (the Neo4j Browser guide, see `browser_guide`). The
page reads the graph through /graphql like any other client, with the user's bearer token:
the one it gets by signing the person in at the configured OpenID Connect issuer (see
`sign_in_config`), or one pasted in. In the dev profile, GraphiQL's files are served here too (see
`graphiql_page`).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from maestro_graph.config import Settings
from maestro_graph.graph_model import explorer_view
from maestro_graph.ui.browser_guide import guide_endpoint
from maestro_graph.ui.browser_guide.queries import explorer_queries
from maestro_graph.ui.graphiql_page import graphiql_assets
from maestro_graph.ui.headers import EXPLORER_POLICY, WithHeaders, explorer_policy

STATIC_DIR = Path(__file__).resolve().parent / "static"


def sign_in_config(settings: Settings) -> dict | None:
    """What the Explorer needs to sign people in at the external issuer (authorization code
    with PKCE, as a public client), or None when no client is configured for it."""
    if not (settings.oidc_issuer and settings.oidc_client_id):
        return None
    return {
        "issuer": settings.oidc_issuer,
        "clientId": settings.oidc_client_id,
        "scopes": settings.oidc_scopes,
        "resource": settings.oidc_resource,
    }


def page_headers(settings: Settings) -> dict[str, str]:
    """The Explorer's security headers; with sign-in on, the page may also call the issuer."""
    sign_in = sign_in_config(settings)
    return explorer_policy([origin_of(sign_in["issuer"])] if sign_in else [])


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def ui_config(settings: Settings):
    browser_queries = explorer_queries()
    sign_in = sign_in_config(settings)
    headers = page_headers(settings)

    async def config(request: Request) -> JSONResponse:
        state = request.app.state
        return JSONResponse(
            {
                "profile": settings.profile,
                "graphqlPath": "/graphql",
                "neo4jBrowserUrl": getattr(state, "neo4j_browser_url", None),
                "neo4jDatabase": getattr(state, "neo4j_database", None),
                # By route type: the guide's query that "Open in Neo4j Browser" opens on a node.
                "neo4jBrowserQueries": browser_queries,
                "pageSize": min(settings.page_size_default, settings.page_size_max),
                "maxPageSize": settings.page_size_max,
                "signIn": sign_in,
            },
            headers=headers,
        )

    return config


def graph_model_json():
    # The declaration does not change while the process runs: built once.
    view = explorer_view()

    async def graph_model(request: Request) -> JSONResponse:
        return JSONResponse(view, headers=EXPLORER_POLICY)

    return graph_model


async def _to_slash(request: Request) -> RedirectResponse:
    return RedirectResponse("/ui/", status_code=308)


def routes(settings: Settings) -> list[BaseRoute]:
    """/ui (the page), /ui/config.json, /ui/graph-model.json, /ui/browser-guide.html, the
    static files, and in the dev profile GraphiQL's files under /ui/graphiql/."""
    ide = [graphiql_assets()] if settings.is_dev else []
    return [
        Route("/ui", _to_slash),
        Mount(
            "/ui",
            routes=[
                Route("/config.json", ui_config(settings)),
                Route("/graph-model.json", graph_model_json()),
                Route("/browser-guide.html", guide_endpoint(), methods=["GET", "OPTIONS"]),
                *ide,
                Mount("/", app=WithHeaders(StaticFiles(directory=STATIC_DIR, html=True), page_headers(settings))),
            ],
        ),
    ]
