"""The Explorer's project page follows the project live: it says it is live, and a write
committed elsewhere shows up on it with an offer to refresh."""

from __future__ import annotations

import httpx
import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, TEST_DATA_DIR, live_server, wait_for_subscriptions

from maestro_graph.config import Settings

sync_api = pytest.importorskip("playwright.sync_api")

TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def server(graph, neo4j_target):
    with live_server(
        Settings(profile="dev", data_dir=TEST_DATA_DIR, events_poll_seconds=0.05, events_idle_poll_seconds=0.2),
        neo4j_target,
    ) as url:
        yield url


def write(server: str, query: str) -> None:
    response = httpx.post(f"{server}/graphql", json={"query": query}, timeout=30)
    assert response.status_code == 200 and "errors" not in response.json(), response.text


def test_a_project_page_shows_writes_as_they_are_committed(server):
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: `bin/dev test` installs Debian's chromium package")
    write(server, 'mutation { upsertProject(input: {id: "live-ui", name: "Live UI"}) { id } }')
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(base_url=server)
        page.set_default_timeout(TIMEOUT_MS)
        problems: list[str] = []
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto("/ui/#/project/live-ui")
        live = page.locator("[data-panel=live]")
        live.locator(".live-status[data-live=live]").wait_for()
        wait_for_subscriptions(server, 1)  # the stream's headers come before the subscription begins
        assert live.locator(".live-refresh").is_hidden()
        write(server, 'mutation { upsertProject(input: {id: "live-ui", name: "Live UI", description: "now"}) { id } }')
        write(server, 'mutation { upsertProject(input: {id: "another", name: "Another"}) { id } }')  # not this page's
        page.locator("[data-panel=live][data-changes='1']").wait_for()
        text = live.locator(".live-changes").inner_text()
        live.locator(".live-refresh").click()
        page.locator("[data-panel=live] .live-status[data-live=live]").wait_for()
        description = page.locator("#app").inner_text()
        browser.close()
    assert "1 change" in text and "upsertProject" in text and "description" in text
    assert "now" in description
    assert problems == []
