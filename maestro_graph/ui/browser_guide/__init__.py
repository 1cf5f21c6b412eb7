"""A Neo4j Browser guide to the graph, served at /ui/browser-guide.html.

Neo4j Browser 5 plays a guide from any host its server allow-lists
(`browser.remote_content_hostname_whitelist`, which the managed Neo4j's neo4j.conf sets to
the loopback names): `:guide <url>` in its sidebar, `:play <url>` in the stream, or
`?cmd=guide&arg=<url>` in Browser's own address. The guide holds the model in one picture
and the ready queries of `queries.cypher`; the Explorer's "Open in Neo4j Browser" opens the
same queries (`queries.explorer_queries`).

Browser fetches the guide from its own page, on another origin than this service, and asks
for it with `Cache-Control` and `Pragma` headers (and its error reporting adds tracing
headers of its own), so the browser sends a CORS preflight first. Both are answered here.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from maestro_graph.ui.browser_guide.page import render
from maestro_graph.ui.headers import EXPLORER_POLICY

PATH = "/ui/browser-guide.html"

# Any origin may read the guide, with any request headers: it is the same static
# documentation for everyone, asked for without credentials (the wildcards forbid them), and
# the page is public in every profile. Naming Browser's origin instead would fail whenever
# Browser is reached by another name (localhost against 127.0.0.1) or runs elsewhere (Neo4j
# Desktop, a self-hosted Browser); naming its headers, whenever a release adds one (Browser
# 5.24 sends `sentry-trace` and `baggage` beside `cache-control` and `pragma`).
CORS = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET, HEAD",
    "access-control-allow-headers": "*",
    "access-control-max-age": "600",
}


# The API's listening addresses that `localhost` reaches.
_REACHED_AS_LOCALHOST = ("127.0.0.1", "::1", "localhost", "0.0.0.0", "::")


def guide_url(host: str, port: int) -> str | None:
    """The guide's address for Neo4j Browser on this machine, or None when the API does not
    listen where `localhost` reaches it. `localhost` because Browser checks a guide's host
    against its server's allow-list only once signed in; before that, against its own
    default, which names `localhost` (and no address literal)."""
    return f"http://localhost:{port}{PATH}" if host in _REACHED_AS_LOCALHOST else None


def browser_link(browser_url: str, guide: str) -> str:
    """Browser's address that opens with the guide in its sidebar (Browser reads `cmd=guide`
    from its own address and runs `:guide <arg>`)."""
    return f"{browser_url}{'&' if '?' in browser_url else '?'}cmd=guide&arg={guide}"


def guide_endpoint():
    page = render().encode()

    async def guide(request: Request) -> Response:
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=CORS)
        headers = {**EXPLORER_POLICY, "access-control-allow-origin": CORS["access-control-allow-origin"]}
        return Response(page, media_type="text/html; charset=utf-8", headers=headers)

    return guide
