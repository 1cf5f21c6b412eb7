"""The Neo4j Browser guide: served so that Browser can fetch it, drawn from the graph model,
its queries read-only and answering with the columns they promise on a seeded graph, the
same queries behind the Explorer's "Open in Neo4j Browser", and the managed Neo4j
allow-listing the host the guide comes from."""

from __future__ import annotations

import re
from html import unescape

import neo4j
import pytest
from conftest import TEST_DATA_DIR

from maestro_graph.db import managed_neo4j
from maestro_graph.graph_model import NODE_TYPES, RECORD_LABELS, RECORD_RELATIONSHIPS, RELATIONSHIP_TYPES
from maestro_graph.ingest.demo_seed import seed_demo
from maestro_graph.repositories import model_publishing
from maestro_graph.ui.browser_guide import browser_link, guide_url
from maestro_graph.ui.browser_guide.queries import GuideQueryError, guide_queries, parse

GUIDE = "/ui/browser-guide.html"
BROWSER_ORIGIN = "http://127.0.0.1:7474"
# Model versions are unique across tasks.
VERSIONS = {task: f"guide-{task}-1" for task in ("artifacts", "team", "impact")}
PROJECT = "project:001"

DECLARED_LABELS = {node.label for node in NODE_TYPES} | set(RECORD_LABELS)
DECLARED_TYPES = {rel.name for rel in RELATIONSHIP_TYPES} | {rel.name for rel in RECORD_RELATIONSHIPS}
QUERIES = {query.name: query for query in guide_queries()}


@pytest.fixture(scope="module")
def seeded(graph):
    """The demo graph with one published version of the models' answers, written as training
    writes them (no training: a few hand-picked answers are enough to read)."""
    seed_demo(graph, "neo4j")
    records, _, _ = graph.execute_query(
        "MATCH (a:Artifact) WHERE NOT (:Project {id: $p})-[:USES]->(a) RETURN a.id AS id ORDER BY id LIMIT 3", p=PROJECT
    )
    unused = [r["id"] for r in records]
    records, _, _ = graph.execute_query(
        "MATCH (h:Person) WHERE NOT (h)-[:MEMBER_OF]->(:Project {id: $p}) RETURN h.id AS id ORDER BY id LIMIT 3",
        p=PROJECT,
    )
    outsiders = [r["id"] for r in records]
    answers = {
        "artifacts": [
            {"project": PROJECT, "item": item, "rank": rank, "score": 1 - rank / 10, "because": []}
            for rank, item in enumerate(unused, start=1)
        ],
        "team": [
            {"project": PROJECT, "item": item, "rank": rank, "score": 1 - rank / 10}
            for rank, item in enumerate(outsiders, start=1)
        ],
        "impact": [
            {"item": item, "rank": rank, "score": 1 - rank / 10}
            for rank, item in enumerate(("model:bert-base", "lib:pytorch", "data:support-tickets"), start=1)
        ],
    }
    for task, rows in answers.items():
        version = VERSIONS[task]
        model_publishing.create_model(
            graph, "neo4j", task=task, version=version, trained_at="2026-01-01T00:00:00Z", metrics="{}", params="{}"
        )
        model_publishing.write_answers(graph, "neo4j", task, version, rows)
        model_publishing.activate(graph, "neo4j", task, version)
    return graph


def _run_read(driver: neo4j.Driver, cypher: str, params: dict) -> tuple[list[str], list[neo4j.Record]]:
    def work(tx: neo4j.ManagedTransaction) -> tuple[list[str], list[neo4j.Record]]:
        result = tx.run(cypher, params)
        return list(result.keys()), list(result)

    with driver.session(database="neo4j", default_access_mode=neo4j.READ_ACCESS) as session:
        return session.execute_read(work)


def _query_type(driver: neo4j.Driver, cypher: str, params: dict) -> str:
    _, summary, _ = driver.execute_query("EXPLAIN " + cypher, params, database_="neo4j")
    return summary.query_type


# --- serving -----------------------------------------------------------------------------


def test_the_guide_is_served_as_html_that_any_origin_may_read(client):
    response = client.get(GUIDE, headers={"origin": BROWSER_ORIGIN})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert '<article class="guide">' in response.text and "<carousel" in response.text
    assert response.text.count("<slide") == 2 + len(QUERIES)


def test_browsers_sanitiser_leaves_the_guide_whole(client):
    """Browser 5.24 strips what looks like an event attribute, with this pattern, from any text
    of a guide (a Cypher line such as `WHERE one = 1` included), and script elements."""
    page = client.get(GUIDE).text
    event_attribute = re.compile(r"""(\s+(on[^\s=]+)[^\s=]*\s*=\s*("[^"]*"|'[^']*'|[\w\-.:]+\s*))""", re.IGNORECASE)
    # The pattern bites (Cypher naming a variable `one` would be cut), and not in the guide.
    assert event_attribute.findall("<pre>UNWIND [1] AS one WITH one WHERE one = 1</pre>")
    assert event_attribute.findall(page) == []
    assert "<script" not in page.lower() and "javascript:" not in page.lower()


def test_browsers_preflight_for_the_guide_is_answered(client):
    # Browser 5.24 asks with these headers, which no simple request may carry.
    response = client.options(
        GUIDE,
        headers={
            "origin": BROWSER_ORIGIN,
            "access-control-request-method": "GET",
            "access-control-request-headers": "baggage,cache-control,pragma,sentry-trace",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-headers"] == "*"  # whatever a later release adds
    assert "GET" in response.headers["access-control-allow-methods"]


def test_the_banners_link_opens_browser_on_the_guide():
    guide = guide_url("127.0.0.1", 8000)
    assert guide == "http://localhost:8000/ui/browser-guide.html"
    assert browser_link("http://127.0.0.1:7474/browser/", guide) == (
        "http://127.0.0.1:7474/browser/?cmd=guide&arg=http://localhost:8000/ui/browser-guide.html"
    )
    # An API listening elsewhere is not reached through localhost: no link rather than a wrong one.
    assert guide_url("10.1.2.3", 8000) is None
    assert guide_url("0.0.0.0", 8000) == "http://localhost:8000/ui/browser-guide.html"


# --- the model picture -------------------------------------------------------------------


def test_the_guide_names_exactly_the_declared_labels_and_relationship_types(client):
    page = client.get(GUIDE).text
    pictured = set(re.findall(r'data-label="(\w+)"', page))
    books = page.split('<p class="mg-books">')[1].split("</p>")[0]
    listed = set(re.findall(r"<code>:(\w+)</code>", books))
    assert pictured | listed == DECLARED_LABELS
    assert not pictured & listed
    assert set(re.findall(r'data-relationship="(\w+)"', page)) == DECLARED_TYPES
    patterns = re.findall(r"-\[:(\w+)\]-&gt;", page.split('<ul class="mg-patterns">')[1].split("</ul>")[0])
    assert sorted(patterns) == sorted(DECLARED_TYPES)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_each_query_names_only_declared_labels_and_relationship_types(name):
    cypher = QUERIES[name].cypher
    labels = set(re.findall(r"\(\w*:(\w+)", cypher))
    types = set(re.findall(r"\[\w*:(\w+)", cypher))
    assert labels and labels <= DECLARED_LABELS
    assert types and types <= DECLARED_TYPES


def test_each_query_is_shown_with_its_sentence_its_params_and_its_columns(client):
    page = unescape(client.get(GUIDE).text)
    for query in QUERIES.values():
        assert query.shows in page
        assert f'<pre mode="cypher" class="pre-scrollable code runnable">{query.cypher}</pre>' in page
        assert ";\n".join(query.param_commands) in page
        for param in query.params:
            assert f"${param}" in query.cypher, f"{query.name} sets {param} but does not use it"


def test_the_four_asked_for_questions_have_a_query():
    assert {
        "project-neighbourhood",
        "who-to-put-on-a-project",
        "most-impactful-artifacts",
        "removed-artifact-impact",
    } <= QUERIES.keys()


def test_a_badly_written_query_file_is_refused():
    with pytest.raises(GuideQueryError, match="does not end"):
        parse("// name: q\n// title: t\n// shows: s\n// columns: a\nMATCH (n) RETURN n AS a\n")
    with pytest.raises(GuideQueryError, match="no columns"):
        parse("// name: q\n// title: t\n// shows: s\nMATCH (n) RETURN n AS a;\n")
    with pytest.raises(GuideQueryError, match="JSON"):
        parse("// name: q\n// title: t\n// shows: s\n// param: id = project:1\n// columns: a\nRETURN 1 AS a;\n")


# --- the queries against the real server -----------------------------------------------


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_each_query_only_reads_and_returns_the_columns_it_promises(seeded, name):
    query = QUERIES[name]
    assert _query_type(seeded, query.cypher, query.params) == "r"
    columns, rows = _run_read(seeded, query.cypher, query.params)
    assert tuple(columns) == query.columns
    assert rows, f"{name} found nothing for its example parameters on the demo graph"


def test_the_read_only_check_has_teeth(seeded):
    """A write is told apart by its plan, and refused outright in a read transaction."""
    write = "MERGE (p:Project {id: $id}) RETURN p.id AS id"
    assert _query_type(seeded, write, {"id": "project:guide"}) in ("w", "rw")
    with pytest.raises(neo4j.exceptions.ClientError):
        _run_read(seeded, write, {"id": "project:guide"})


def test_the_project_neighbourhood_shows_the_recommendations_and_their_model_version(seeded):
    query = QUERIES["project-neighbourhood"]
    _, rows = _run_read(seeded, query.cypher, query.params)
    (row,) = rows
    assert row["modelVersion"] == row["model"]["version"] == VERSIONS["artifacts"]
    recommended = [path.end_node["id"] for path in row["recommendations"]]
    assert len(recommended) == 3
    assert all(path.relationships[0]["model_version"] == VERSIONS["artifacts"] for path in row["recommendations"])
    assert row["uses"] and row["members"]


def test_who_to_put_on_a_project_leaves_its_members_out(seeded):
    query = QUERIES["who-to-put-on-a-project"]
    _, rows = _run_read(seeded, query.cypher, query.params)
    members, _, _ = seeded.execute_query(
        "MATCH (h:Person)-[:MEMBER_OF]->(:Project {id: $p}) RETURN collect(h.id) AS ids", p=PROJECT
    )
    assert rows and not {row["personId"] for row in rows} & set(members[0]["ids"])
    assert {row["modelVersion"] for row in rows} == {VERSIONS["team"]}
    assert [row["score"] for row in rows] == sorted((row["score"] for row in rows), reverse=True)


def test_a_removed_artifact_affects_the_projects_of_its_derivatives_too(seeded):
    query = QUERIES["removed-artifact-impact"]
    _, rows = _run_read(seeded, query.cypher, {"artifactId": "model:bert-base"})
    hops = {row["projectId"]: row["hops"] for row in rows}
    # model:bert-intents is derived from model:bert-base; its users are affected one hop away.
    users, _, _ = seeded.execute_query(
        "MATCH (p:Project)-[:USES]->(:Artifact {id: 'model:bert-intents'}) "
        "WHERE NOT (p)-[:USES]->(:Artifact {id: 'model:bert-base'}) RETURN collect(p.id) AS ids"
    )
    assert users[0]["ids"], "the demo graph has no project using only the derivative"
    assert all(hops[project] == 1 for project in users[0]["ids"])


# --- the Explorer's "Open in Neo4j Browser" ----------------------------------------------


def test_the_explorer_opens_a_guide_query_for_every_node_type(client):
    opened = client.get("/ui/config.json").json()["neo4jBrowserQueries"]
    assert set(opened) == {node.label.lower() for node in NODE_TYPES}
    by_cypher = {query.cypher: query for query in QUERIES.values()}
    for type_, link in opened.items():
        query = by_cypher[link["cypher"]]  # exactly a guide query
        assert query.explorer == type_.capitalize()
        assert link["idParam"] == next(iter(query.params))
        assert link["params"] == query.param_commands[1:]
        # Browser cuts its address at '&' and '#' before it reads the query.
        assert not set(link["cypher"]) & {"&", "#"}


# --- the managed Neo4j -------------------------------------------------------------------


def test_the_managed_neo4j_allow_lists_the_hosts_the_guide_comes_from(graph):
    conf = TEST_DATA_DIR / "neo4j" / "conf" / "neo4j.conf"
    if not conf.is_file():
        pytest.skip("the tests run against a Neo4j this project did not configure")
    line = f"{managed_neo4j.BROWSER_GUIDE_HOSTS_SETTING}="
    (written,) = [text[len(line) :] for text in conf.read_text().splitlines() if text.startswith(line)]
    assert {"localhost", "127.0.0.1"} <= set(written.split(","))
    # What Browser reads from the server once signed in.
    records, _, _ = graph.execute_query("CALL dbms.clientConfig()")
    served = {record["name"]: record["value"] for record in records}
    assert set(served[managed_neo4j.BROWSER_GUIDE_HOSTS_SETTING].split(",")) == set(managed_neo4j.BROWSER_GUIDE_HOSTS)
