"""The Explorer (/ui) in a real headless Chromium against a live server on the demo graph,
trained so recommendations, outcome predictions and impact exist.

Chromium is Debian's package (/usr/bin/chromium, installed by `bin/dev test`), driven by
Playwright; no browser is downloaded. Screenshots go to test-artifacts/ui/.
"""

from __future__ import annotations

import concurrent.futures
import re
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, TEST_DATA_DIR, live_server, register_client, wipe

from maestro_graph.config import Settings
from maestro_graph.graph_model import explorer_view
from maestro_graph.ingest.demo_seed import seed_demo
from maestro_graph.ml.text_embedding import query_embedder
from maestro_graph.ml.training.train_command import train_and_publish
from maestro_graph.repositories import metric_series
from maestro_graph.ui.browser_guide.queries import explorer_queries

sync_api = pytest.importorskip("playwright.sync_api")

SHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "ui"
BROWSER_URL = "http://127.0.0.1:17474/browser/"
PAGE_SIZE = 5  # small pages, so the demo graph needs the pagers
TIMEOUT_MS = 20_000  # the first semantic search loads the text model


def weekly_metrics(driver, weeks: int = 12) -> None:
    """Twelve weeks of git metrics for every project, as `maestro-graph import-git` stores them."""
    monday = datetime(2026, 1, 5, tzinfo=UTC)
    projects = [r["id"] for r in driver.execute_query("MATCH (p:Project) RETURN p.id AS id ORDER BY id").records]
    for n, project_id in enumerate(projects):
        rows = []
        for week in range(weeks):
            at = monday + timedelta(weeks=week)
            period = f"{at.isocalendar().year}-W{at.isocalendar().week:02d}"
            values = {
                "commits": 5 + (week * 7 + n) % 11,
                "authors": 2 + (week + n) % 3,
                "churn": 300 + 40 * week,
                "bus_factor": 2,
                "collaboration": 0.5,
            }
            rows += [
                {"id": f"{project_id}|{name}|{period}", "name": name, "value": value, "at": at, "period": period}
                for name, value in values.items()
            ]
        driver.execute_query(metric_series.UPSERT, project_id=project_id, rows=rows, source="git")


@pytest.fixture(scope="module")
def server(graph, neo4j_target):
    """The dev profile (anonymous on loopback) serving the trained demo graph."""
    wipe(graph)
    seed_demo(graph, "neo4j")
    # Real sentence embeddings, so semantic search ranks by meaning (the same model that
    # embeds queries at request time, loaded once for both).
    train_and_publish(graph, "neo4j", query_embedder())
    weekly_metrics(graph)
    settings = Settings(
        profile="dev", data_dir=TEST_DATA_DIR, page_size_default=PAGE_SIZE, cost_budget_per_minute=10_000_000
    )
    with live_server(settings, replace(neo4j_target, browser_url=BROWSER_URL)) as url:
        yield url


@pytest.fixture(scope="module")
def production_server(server, neo4j_target):
    """The production profile over the same graph: every request needs a bearer token."""
    settings = Settings(
        profile="production",
        data_dir=TEST_DATA_DIR,
        cost_budget_per_minute=10_000_000,
        oauth_requests_per_minute=10_000,
    )
    with live_server(settings, neo4j_target) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: `bin/dev test` installs Debian's chromium package")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, base_url=server)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.problems = []
    page.on("pageerror", lambda error: page.problems.append(f"page error: {error}"))
    page.on("console", lambda m: m.type == "error" and page.problems.append(f"console: {m.text}"))
    # Offline: nothing may be loaded from anywhere but this server.
    page.on(
        "request",
        lambda r: (
            r.url.startswith(server) or r.url.startswith("data:") or page.problems.append(f"request elsewhere: {r.url}")
        ),
    )
    yield page
    context.close()


def shot(page, name: str) -> None:
    settled(page, "body")
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def settled(page, selector: str = "#app"):
    """Waits until the page shows the current address and nothing under `selector` is loading."""
    page.wait_for_function(
        "s => document.querySelector('#app').dataset.route === location.hash"
        " && !document.querySelector(s + ' .loading')",
        arg=selector,
    )
    return page.locator(selector)


def graphql(server: str, query: str) -> dict:
    response = httpx.post(f"{server}/graphql", json={"query": query}, timeout=30)
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    return response.json()["data"]


def test_the_page_and_its_config_are_served_with_a_strict_policy(server):
    with httpx.Client(base_url=server, timeout=10) as http:
        assert http.get("/ui").headers["location"] == "/ui/"
        index = http.get("/ui/")
        assert index.status_code == 200 and "Maestro Graph" in index.text
        assert "default-src 'self'" in index.headers["content-security-policy"]
        assert index.headers["x-content-type-options"] == "nosniff"
        assert http.get("/ui/app.js").headers["content-type"].startswith(("text/javascript", "application/javascript"))
        assert "text/css" in http.get("/ui/style.css").headers["content-type"]
        config = http.get("/ui/config.json").json()
        assert config == {
            "profile": "dev",
            "graphqlPath": "/graphql",
            "neo4jBrowserUrl": BROWSER_URL,
            "neo4jDatabase": "neo4j",
            "neo4jBrowserQueries": explorer_queries(),
            "pageSize": PAGE_SIZE,
            "maxPageSize": 100,
            "signIn": None,  # no identity provider configured for this server
        }
        assert http.get("/ui/missing.js").status_code == 404
        # The modules and their GraphQL documents, each with a type the browser accepts under nosniff.
        assert http.get("/ui/views/graph.js").headers["content-type"].startswith("text/javascript")
        document = http.get("/ui/graphql/Project.graphql")
        assert document.status_code == 200 and document.text.startswith("# The project page")
        assert document.headers["content-type"].startswith("application/graphql")
        # The graph's shape, as maestro_graph.graph_model declares it.
        assert http.get("/ui/graph-model.json").json() == explorer_view()
    # Nothing in the page comes from elsewhere: no module, stylesheet or document names another host.
    static = Path(__file__).resolve().parents[1] / "maestro_graph" / "ui" / "static"
    files = [path for path in static.rglob("*") if path.is_file()]
    assert len(files) > 30
    for path in files:
        text = path.read_text()
        assert (
            not re.search(r"""(src|href)\s*=\s*["']https?:""", text)
            and "@import" not in text
            and "cdn" not in text.lower()
        )
        assert not re.search(r"""(from|import\(|fetch\()\s*["'`]https?:""", text), path


def test_search_to_project_to_recommended_artifact(page, server):
    page.goto("/ui/")
    settled(page)
    assert page.locator("[data-panel=browse-projects] .row").count() == 8  # the landing lists 8 a page
    assert page.locator("[data-panel=browse-projects] .pager-text").inner_text() == "1–8 of 30"
    shot(page, "01-home")

    page.fill("#search-input", "churn")
    page.press("#search-input", "Enter")
    page.wait_for_url(re.compile(r"#/search\?q=churn"))
    results = settled(page)
    hits = results.locator(".hit")
    assert hits.count() >= 2
    # Kinds are facets with counts; choosing one filters the hits.
    project_facet = page.locator("[data-facet=kind] [data-value=PROJECT]")
    assert int(project_facet.locator(".facet-count").inner_text()) >= 1
    project_facet.click()
    page.wait_for_url(re.compile(r"kind=PROJECT"))
    settled(page)
    assert page.locator("[data-facet=kind] [data-value=PROJECT]").get_attribute("aria-checked") == "true"
    types = page.locator(".hit").evaluate_all("els => els.map(e => e.dataset.type)")
    assert types and set(types) == {"project"}
    shot(page, "02-search-churn-projects")

    first = page.locator(".hit").first
    project_id = first.get_attribute("data-id")
    project_name = first.locator(".node-link").inner_text()
    first.locator(".node-link").click()
    page.wait_for_url(re.compile(r"#/project/"))
    settled(page)
    assert page.locator("h1.hero-title").inner_text() == project_name
    truth = graphql(
        server,
        f'{{ project(id: "{project_id}") {{ uses {{ totalCount }} members {{ totalCount }} '
        f"outcomePrediction {{ successProbability modelVersion }} }} }}",
    )["project"]
    prediction = page.locator("[data-panel=prediction]")
    assert (
        prediction.locator(".prediction-value").inner_text()
        == f"{round(truth['outcomePrediction']['successProbability'] * 100)}%"
    )
    assert truth["outcomePrediction"]["modelVersion"] in prediction.inner_text()
    assert page.locator("[data-panel=uses] .panel-count").inner_text() == str(truth["uses"]["totalCount"])
    assert page.locator("[data-panel=members] .panel-count").inner_text() == str(truth["members"]["totalCount"])
    assert page.locator("[data-panel=uses] .row").count() == min(PAGE_SIZE, truth["uses"]["totalCount"])
    recommendations = page.locator("[data-panel=recommended-artifacts] li.rec")
    assert recommendations.count() >= 3
    assert recommendations.first.locator(".because-item").count() >= 1  # the reason is shown
    assert "model" in page.locator("[data-panel=recommended-artifacts] .model-version").inner_text()
    assert page.locator("[data-panel=recommended-team] ol li").count() >= 3
    assert page.locator("[data-panel=recommended-team] .avatar-chip").count() == 4  # the composed team
    assert page.locator("[data-panel=similar-projects] .row").count() >= 1
    metrics = graphql(server, f'{{ project(id: "{project_id}") {{ metrics {{ commits authors }} }} }}')["project"][
        "metrics"
    ]
    tiles = dict(
        zip(
            page.locator("[data-panel=metrics] .tile-label").all_inner_texts(),
            page.locator("[data-panel=metrics] .tile-value").all_inner_texts(),
            strict=True,
        )
    )
    assert tiles["Commits"] == str(metrics["commits"]) and tiles["Authors"] == str(metrics["authors"])
    assert page.locator("[data-panel=metrics] .sparkline polyline").count() == 1
    assert "No production deployments" in page.locator("[data-panel=metrics]").inner_text()
    # Nothing the project uses is recommended.
    used = {
        e["node"]["id"]
        for e in graphql(
            server, f'{{ project(id: "{project_id}") {{ uses(first: 100) {{ edges {{ node {{ id }} }} }} }} }}'
        )["project"]["uses"]["edges"]
    }
    recommended = recommendations.evaluate_all("els => els.map(e => e.dataset.id)")
    assert not used & set(recommended)
    shot(page, "03-project")

    artifact_id = recommended[0]
    artifact_name = recommendations.first.locator(".rec-title .node-link").inner_text()
    recommendations.first.locator(".rec-title .node-link").click()
    page.wait_for_url(re.compile(r"#/artifact/"))
    settled(page)
    assert page.locator("h1.hero-title").inner_text() == artifact_name
    impact = graphql(
        server, f'{{ artifact(id: "{artifact_id}") {{ impact {{ rank modelVersion }} usedBy {{ totalCount }} }} }}'
    )["artifact"]
    impact_panel = page.locator("[data-panel=impact]")
    assert f"rank #{impact['impact']['rank']}" in impact_panel.inner_text()
    assert impact["impact"]["modelVersion"] in impact_panel.inner_text()
    assert page.locator("[data-panel=used-by] .panel-count").inner_text() == str(impact["usedBy"]["totalCount"])
    assert page.locator("[data-panel=lineage]").is_visible()
    shot(page, "04-artifact")
    assert page.problems == []


def test_a_deprecated_artifact_warns_and_shows_who_would_lose_it(page, server):
    graphql(
        server,
        'mutation { deprecateArtifact(id: "data:clickstream", reason: "collection stopped", '
        'replacementId: "data:customer-profiles") { id } }',
    )
    try:
        page.goto("/ui/#/artifact/data:clickstream")
        settled(page)
        warning = page.locator("[data-panel=deprecation]")
        assert "collection stopped" in warning.inner_text()
        assert warning.locator(".node-link").get_attribute("data-id") == "data:customer-profiles"
        truth = graphql(
            server,
            '{ impactOfRemoving(artifactIds: ["data:clickstream"], first: 10) { modelVersion totals { projects } '
            "projects { edges { node { project { id } } } } } }",
        )["impactOfRemoving"]
        impact = page.locator("[data-panel=impact-of-removing]")
        assert impact.locator(".panel-count").first.inner_text() == str(truth["totals"]["projects"])
        assert truth["modelVersion"] in impact.locator(".impact-summary").inner_text()
        shown = impact.locator("[data-panel=impact-projects] .row .node-link")
        assert [link.get_attribute("data-id") for link in shown.all()] == [
            e["node"]["project"]["id"] for e in truth["projects"]["edges"]
        ]
        shot(page, "05-artifact-deprecated")
        assert page.problems == []
    finally:
        graphql(server, 'mutation { undeprecateArtifact(id: "data:clickstream") { id } }')


def test_pagination_walks_a_connection_both_ways(page, server):
    artifacts = graphql(server, "{ artifacts(first: 100) { edges { node { id usedBy { totalCount } } } } }")
    busiest = max((e["node"] for e in artifacts["artifacts"]["edges"]), key=lambda a: a["usedBy"]["totalCount"])
    assert busiest["usedBy"]["totalCount"] > PAGE_SIZE
    page.goto(f"/ui/#/artifact/{busiest['id']}")
    used_by = settled(page).locator("[data-panel=used-by]")
    total = busiest["usedBy"]["totalCount"]
    first_page = used_by.locator(".row .node-link").all_inner_texts()
    assert len(first_page) == PAGE_SIZE
    assert used_by.locator(".pager-text").inner_text() == f"1–{PAGE_SIZE} of {total}"
    assert used_by.get_by_role("button", name="← Previous").is_disabled()
    used_by.get_by_role("button", name="Next →").click()
    settled(page)
    assert used_by.locator(".pager-text").inner_text().startswith(f"{PAGE_SIZE + 1}–")
    assert not set(used_by.locator(".row .node-link").all_inner_texts()) & set(first_page)
    used_by.get_by_role("button", name="← Previous").click()
    settled(page)
    assert used_by.locator(".row .node-link").all_inner_texts() == first_page
    assert page.problems == []


def test_semantic_search_finds_by_meaning(page):
    page.goto("/ui/#/search?q=predict+which+customers+will+leave&mode=semantic")
    settled(page)
    hits = page.locator(".hit")
    assert hits.count() >= 5
    # Semantic search covers projects and artifacts only, and says so in its facets.
    assert page.locator("[data-facet=kind] .facet-item").evaluate_all("els => els.map(e => e.dataset.value)") == [
        "PROJECT",
        "ARTIFACT",
    ]
    top = hits.locator(".node-link").all_inner_texts()[:5]
    assert any("churn" in name.lower() for name in top), top
    shot(page, "05-search-semantic")
    page.locator("#search-more").click()
    page.wait_for_url(re.compile(r"n=40"))
    assert settled(page).locator(".hit").count() == 40
    # Hybrid fuses the full-text and semantic ranks; switching keeps the text.
    page.locator(".segment", has_text="Hybrid").click()
    page.wait_for_url(re.compile(r"mode=hybrid"))
    assert settled(page).locator(".hit").count() >= 5
    assert page.locator("#search-input").input_value() == "predict which customers will leave"
    assert page.problems == []


def test_leaderboard_ranks_pages_and_filters(page, server):
    page.goto("/ui/#/leaderboard")
    board = settled(page).locator("[data-panel=leaderboard]")
    ranks = board.locator("tbody .rank-cell").all_inner_texts()
    assert ranks == [f"#{i}" for i in range(1, 21)]
    version = graphql(server, "{ artifactLeaderboard(first: 1) { impact { modelVersion } } }")["artifactLeaderboard"][0]
    assert version["impact"]["modelVersion"] in board.locator(".model-version").inner_text()
    shot(page, "06-leaderboard")
    board.get_by_role("button", name="Next →").click()
    page.wait_for_url(re.compile(r"page=2"))
    settled(page)
    total = graphql(server, "{ artifacts { totalCount } }")["artifacts"]["totalCount"]
    assert board.locator("tbody .rank-cell").all_inner_texts() == [f"#{i}" for i in range(21, total + 1)]
    assert board.get_by_role("button", name="Next →").is_disabled()

    page.locator(".filter-chip[data-kind=MODEL]").click()
    page.wait_for_url(re.compile(r"kind=MODEL"))
    settled(page)
    models = graphql(server, "{ artifacts(filter: {kinds: [MODEL]}) { totalCount } }")["artifacts"]["totalCount"]
    assert board.locator("tbody .badge").all_text_contents() == ["Model"] * models
    assert page.problems == []


def test_graph_view_draws_the_neighbourhood_and_moves_along_it(page, server):
    truth = graphql(server, '{ project(id: "project:001") { name uses { totalCount } members { totalCount } } }')[
        "project"
    ]
    page.goto("/ui/#/project/project:001")
    settled(page)
    page.locator("[data-action=graph]").click()
    page.wait_for_url(re.compile(r"#/graph/project/"))
    settled(page)
    graph = page.locator("svg.graph")
    assert graph.locator(".g-center").count() == 1
    assert graph.locator(".g-node.node-artifact").count() == truth["uses"]["totalCount"]
    assert graph.locator(".g-node.node-person").count() == truth["members"]["totalCount"]
    assert graph.locator(".g-edge").count() == truth["uses"]["totalCount"] + truth["members"]["totalCount"]
    # Laid out inside the picture, no two nodes on top of each other.
    points = graph.locator(".g-node").evaluate_all(
        "els => els.map(e => e.transform.baseVal[0].matrix).map(m => [m.e, m.f])"
    )
    assert all(0 < x < 960 and 0 < y < 620 for x, y in points)
    assert (
        min(((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5 for i, a in enumerate(points) for b in points[i + 1 :])
        > 20
    )
    shot(page, "07-graph-project")

    neighbour = graph.locator(".g-link .node-artifact").first
    neighbour_id = neighbour.get_attribute("data-id")
    neighbour.locator("circle").click()
    page.wait_for_url(re.compile(r"#/graph/artifact/"))
    settled(page)
    assert page.locator("svg.graph .g-center").get_attribute("data-id") == neighbour_id
    assert page.locator("svg.graph .g-node.node-project[data-id='project:001']").count() == 1
    assert page.problems == []


def test_neo4j_browser_link_opens_the_same_node(page):
    page.goto("/ui/#/project/project:001")
    settled(page)
    href = page.locator("[data-action=neo4j-browser]").get_attribute("href")
    url = urlsplit(href)
    assert f"{url.scheme}://{url.netloc}{url.path}" == BROWSER_URL
    query = parse_qs(url.query)
    assert query["cmd"] == ["edit"]
    # The guide's query for a project, after the `:param` commands that name this one.
    guide = explorer_queries()["project"]
    assert query["arg"][0] == ";\n".join([':param projectId => "project:001"', *guide["params"], guide["cypher"]])
    assert page.locator("[data-action=neo4j-browser]").get_attribute("target") == "_blank"
    # As Browser reads its address: decoded whole, then `arg` up to the first '&' or '#'.
    assert re.findall(r"[?&]arg=([^&#]*)", unquote(href.replace("+", " "))) == query["arg"]


def test_a_neo4j_browser_link_keeps_an_awkward_id_whole(page, graph):
    page.goto("/ui/")
    awkward = 'a&b#c;d"e\\f +g%41'
    href = page.evaluate(
        """async (id) => {
          const { neo4jBrowserHref } = await import('./lib/links.js');
          const query = { idParam: 'projectId', params: [], cypher: 'RETURN $projectId AS id' };
          return neo4jBrowserHref('http://127.0.0.1:17474/browser/', 'neo4j', query, id);
        }""",
        awkward,
    )
    (arg,) = re.findall(r"[?&]arg=([^&#]*)", unquote(href.replace("+", " ")))
    command, cypher = arg.split(";\n")
    assert cypher == "RETURN $projectId AS id"
    literal = command.removeprefix(":param projectId => ")
    # Browser evaluates the right-hand side of `=>` as Cypher: it must give the id back.
    records, _, _ = graph.execute_query(f"RETURN {literal} AS id")
    assert records[0]["id"] == awkward


def test_an_invalid_token_says_so_and_a_new_one_can_be_entered(page):
    page.goto("/ui/")
    page.evaluate("sessionStorage.setItem('maestro-graph.access-token', 'expired.or.forged')")
    page.goto("/ui/#/project/project:001")
    banner = page.locator("#banner[data-kind=auth]")
    banner.wait_for()
    assert "expired or is not valid" in banner.inner_text()
    assert page.locator("#token-button").inner_text() == "Token set"
    shot(page, "08-token-expired")
    banner.get_by_role("button", name="Enter a new token").click()
    dialog = page.locator("#token-dialog")
    assert dialog.is_visible() and page.locator("#token-input").input_value() == "expired.or.forged"
    shot(page, "09-token-dialog")
    # The dev profile serves anonymous loopback callers: forgetting the token is enough here.
    page.locator("#token-clear").click()
    settled(page)
    assert page.locator("#banner").is_hidden()
    assert page.locator("h1.hero-title").is_visible()
    assert page.evaluate("sessionStorage.getItem('maestro-graph.access-token')") is None


def test_a_token_is_sent_as_a_bearer_header(page):
    page.goto("/ui/")
    settled(page)
    sent = []
    page.on("request", lambda r: r.url.endswith("/graphql") and sent.append(r.headers.get("authorization")))
    page.locator("#token-button").click()
    page.fill("#token-input", "Bearer abc.def.ghi")
    page.locator("#token-save").click()
    page.locator("#banner[data-kind=auth]").wait_for()
    assert sent and set(sent) == {"Bearer abc.def.ghi"}
    page.locator("#token-button").click()
    page.locator("#token-clear").click()
    settled(page)
    assert sent[-1] is None


def test_a_server_that_is_down_is_reported_with_a_retry(page):
    page.goto("/ui/#/leaderboard")
    settled(page)
    page.route("**/graphql", lambda route: route.abort("connectionrefused"))
    page.goto("/ui/#/artifact/model:bert-base")
    page.locator(".error[data-kind=down]").wait_for()
    assert "cannot be reached" in page.locator("#banner").inner_text()
    shot(page, "10-server-down")
    page.unroute("**/graphql")
    page.locator(".error[data-kind=down]").get_by_role("button", name="Retry").click()
    settled(page)
    assert page.locator("h1.hero-title").inner_text() == "bert-base"
    assert page.locator("#banner").is_hidden()


def test_an_unknown_node_is_a_clear_not_found(page):
    page.goto("/ui/#/project/no-such-project")
    page.locator(".error[data-kind=notfound]").wait_for()
    assert "no project with id “no-such-project”" in page.locator("#app").inner_text()
    assert page.problems == []


def test_person_and_team_pages(page):
    page.goto("/ui/#/team/team:nlp")
    members = settled(page).locator("[data-panel=team-members]")
    assert page.locator("h1.hero-title").inner_text() == "Language"
    members.locator(".node-link").first.click()
    page.wait_for_url(re.compile(r"#/person/"))
    settled(page)
    assert page.locator("[data-panel=person-teams]").get_by_text("Language").is_visible()
    assert page.locator("[data-panel=person-projects] .row").count() >= 1
    shot(page, "11-person")
    assert page.problems == []


def test_panels_show_a_loading_state_while_the_api_answers(page):
    page.goto("/ui/")
    settled(page)
    release = []

    def slow(route):
        release.append(route)

    page.route("**/graphql", slow)
    page.goto("/ui/#/leaderboard")
    page.locator("#app .loading").wait_for()
    assert "Loading" in page.locator("#app .loading").inner_text()
    deadline = time.monotonic() + 10
    while not release and time.monotonic() < deadline:  # the held request reaches the handler
        page.wait_for_timeout(50)
    assert release
    for route in release:
        route.continue_()
    page.unroute("**/graphql")
    settled(page)
    assert page.locator("[data-panel=leaderboard] tbody tr").count() == 20


def test_production_asks_for_a_token_and_works_with_one(browser, production_server, neo4j_target):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, base_url=production_server)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto("/ui/#/project/project:001")
        banner = page.locator("#banner[data-kind=auth]")
        banner.wait_for()
        assert "needs an access token" in banner.inner_text()
        assert page.locator("#profile").inner_text() == "production profile"
        assert page.locator("[data-action=neo4j-browser]").count() == 0  # no Browser URL known here
        shot(page, "12-production-no-token")

        # (asyncio.run, which registering uses, may not run on Playwright's thread)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            credentials = pool.submit(register_client, neo4j_target, "explorer-test", "read").result()
        response = httpx.post(
            f"{production_server}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(credentials["client_id"], credentials["client_secret"]),
            timeout=10,
        )
        assert response.status_code == 200, response.text
        banner.get_by_role("button", name="Enter a token").click()
        page.fill("#token-input", response.json()["access_token"])
        page.locator("#token-save").click()
        settled(page)
        assert page.locator("#banner").is_hidden()
        assert page.locator("h1.hero-title").is_visible()
        assert page.locator("[data-panel=recommended-artifacts] li.rec").count() >= 3
    finally:
        context.close()
