"""Frontends on other origins: an allow-list of exact origins, no credentials, preflights
cached; every other origin refused; nothing changes for same-origin callers."""

from __future__ import annotations

import pytest
from conftest import make_client
from pydantic import ValidationError

from maestro_graph.config import Settings

FRONTEND = "https://explorer.example.org"
STRANGER = "https://evil.example.net"
QUERY = {"query": "{ viewer { subject } }"}


@pytest.fixture(scope="module")
def api(graph, neo4j_target):
    with make_client(
        neo4j_target, profile="production", cors_allowed_origins=[FRONTEND], cors_max_age_seconds=900
    ) as client:
        yield client


def preflight(client, origin: str):
    return client.options(
        "/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_a_listed_origin_gets_a_cached_preflight_without_credentials(api):
    response = preflight(api, FRONTEND)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == FRONTEND
    assert response.headers["access-control-max-age"] == "900"
    allowed = {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type"} <= allowed
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in response.headers


def test_a_listed_origin_can_read_refusals_too(api):
    # Without a token: a 401 the frontend can read, with the challenge it may act on.
    response = api.post("/graphql", json=QUERY, headers={"Origin": FRONTEND})
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert response.headers["access-control-allow-origin"] == FRONTEND
    assert "www-authenticate" in response.headers["access-control-expose-headers"].lower()
    assert "access-control-allow-credentials" not in response.headers


def test_other_origins_are_refused(api):
    response = preflight(api, STRANGER)
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    # An actual request still reaches the API (a browser sends it), but without the header
    # the browser keeps the answer from the page.
    answered = api.post("/graphql", json=QUERY, headers={"Origin": STRANGER})
    assert "access-control-allow-origin" not in answered.headers


def test_pages_with_their_own_rules_keep_them(api):
    # The Neo4j Browser guide answers cross-origin requests itself; the API's list does not apply.
    response = api.options(
        "/ui/browser-guide.html", headers={"Origin": STRANGER, "Access-Control-Request-Method": "GET"}
    )
    assert response.status_code < 300 and response.headers["access-control-allow-origin"] == "*"


def test_without_a_list_no_origin_is_allowed(neo4j_target, graph):
    with make_client(neo4j_target, profile="production") as client:
        assert "access-control-allow-origin" not in preflight(client, FRONTEND).headers
        assert (
            "access-control-allow-origin"
            not in client.post("/graphql", json=QUERY, headers={"Origin": FRONTEND}).headers
        )


@pytest.mark.parametrize(
    "origin", ["*", "https://app.example.org/", "https://app.example.org/path", "null", "app.example.org"]
)
def test_only_exact_origins_can_be_listed(origin):
    with pytest.raises(ValidationError):
        Settings(cors_allowed_origins=[origin])
