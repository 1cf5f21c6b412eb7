"""GraphiQL for the dev profile, served from this package.

Strawberry's own GraphiQL page loads React and GraphiQL from unpkg.com, so it stays blank on
a machine without internet. This page loads the same kind of files from `graphiql/assets/`,
served at /ui/graphiql/; `graphiql/README.md` records their versions and checksums. The
GraphQL view renders the page (GET /graphql with Accept: text/html) in the profiles that
have GraphiQL; the files are mounted only there too.
"""

from __future__ import annotations

import functools
from pathlib import Path

from starlette.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from maestro_graph.ui.headers import EXPLORER_POLICY, WithHeaders

GRAPHIQL_DIR = Path(__file__).resolve().parent / "graphiql"

# As strict as the Explorer's, except what GraphiQL needs: its stylesheet embeds its fonts
# as data: URLs.
GRAPHIQL_POLICY = {
    **EXPLORER_POLICY,
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; font-src 'self' data:; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
}


@functools.cache
def _page() -> str:
    return (GRAPHIQL_DIR / "page.html").read_text(encoding="utf-8")


def graphiql_page() -> HTMLResponse:
    """The GraphiQL page; it sends its queries to the path it was served at."""
    return HTMLResponse(_page(), headers=GRAPHIQL_POLICY)


def graphiql_assets() -> Mount:
    """GraphiQL's scripts and styles at /graphiql under the mount that includes this."""
    return Mount("/graphiql", app=WithHeaders(StaticFiles(directory=GRAPHIQL_DIR / "assets"), EXPLORER_POLICY))
