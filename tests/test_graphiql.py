"""GraphiQL in the dev profile comes from this server, not a CDN: the page names no other
host, every file it loads is served and matches its integrity value, and in a real headless
Chromium with no other host reachable it renders and runs a query."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import urlsplit

import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, TEST_DATA_DIR, live_server, make_client

from maestro_graph.config import Settings

HTML = {"Accept": "text/html"}
# src= and href= values in the page (the inline data: favicon is not a file).
REFERENCE = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']+)["']""")
INTEGRITY = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']+)["'][^>]*?\bintegrity\s*=\s*["']sha384-([^"']+)["']""")


def test_the_page_names_no_other_host_and_every_file_it_loads_is_served(client):
    page = client.get("/graphql", headers=HTML)
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    assert "default-src 'self'" in page.headers["content-security-policy"]
    # No address with a scheme or a host at all, so nothing can come from another origin.
    assert not re.search(r"(?i)\b(?:https?:)?//[a-z0-9]", page.text)
    references = [ref for ref in REFERENCE.findall(page.text) if not ref.startswith("data:")]
    assert len(references) >= 5  # the stylesheets, React, ReactDOM, GraphiQL and the start script
    for reference in references:
        assert urlsplit(reference).netloc == "" and reference.startswith("/ui/graphiql/")
        asset = client.get(reference)
        assert asset.status_code == 200, reference
        assert asset.headers["content-type"].startswith(("text/javascript", "text/css")), reference
    # The vendored files are the ones recorded (maestro_graph/ui/graphiql/README.md).
    pinned = INTEGRITY.findall(page.text)
    assert len(pinned) == 4
    for reference, digest in pinned:
        served = client.get(reference).content
        assert base64.b64encode(hashlib.sha384(served).digest()).decode() == digest, reference


def test_production_serves_neither_the_page_nor_its_files(graph, neo4j_target):
    with make_client(neo4j_target, profile="production") as production:
        assert "graphiql" not in production.get("/graphql", headers=HTML).text.lower()
        assert production.get("/ui/graphiql/vendor/graphiql.min.js").status_code == 404
        assert production.get("/ui/graphiql/start.js").status_code == 404


def test_graphiql_renders_and_runs_a_query_with_no_other_host_reachable(graph, neo4j_target):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: `bin/dev test` installs Debian's chromium package")
    graph.execute_query("CREATE (:Project {id: 'project:offline', name: 'Works offline'})")
    settings = Settings(profile="dev", data_dir=TEST_DATA_DIR)
    with live_server(settings, neo4j_target) as url, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(20_000)
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
            # As on a machine without internet: any request to another host fails, and is noted.
            page.route(
                re.compile(r"^(?!" + re.escape(url) + r"/)(?!data:).*"),
                lambda route: (problems.append(f"request elsewhere: {route.request.url}"), route.abort()),
            )
            page.goto(f"{url}/graphql")
            page.locator(".graphiql-container .graphiql-query-editor").wait_for()
            page.locator(".graphiql-execute-button").click()
            result = page.locator(".result-window")
            result.filter(has_text="Works offline").wait_for()
            assert '"totalCount": 1' in result.inner_text()
            assert problems == []
        finally:
            browser.close()
