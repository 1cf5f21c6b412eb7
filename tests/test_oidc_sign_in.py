"""People signing in through the organisation's OpenID Connect provider: a real one
(oidc-provider, see tests/oidc_idp.py) on loopback, in front of the API in the production
profile. What a token from it may do here, and the Explorer's sign-in in headless Chromium."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, TEST_DATA_DIR, live_server
from oidc_idp import ADMIN_GROUP, AUDIENCE, CLIENT_ID, OTHER_AUDIENCE, provider_port, running, sign_in

from maestro_graph.auth.principal import Principal
from maestro_graph.config import Settings

VIEWER = "{ viewer { subject scopes source person { id name } } }"
WRITE_ALPHA = 'mutation { upsertProject(input: {id: "alpha", name: "Renamed"}) { id } }'
ADD_PERSON = 'mutation { upsertPerson(input: {id: "p-new", name: "New Person"}) { id } }'


@pytest.fixture(scope="module")
def site(graph, neo4j_target):
    """The API (production profile) and the provider it trusts; yields (api URL, provider)."""
    graph.execute_query(
        "CREATE (ada:Person {id: 'p-ada', name: 'Ada Lovelace'}), (:Person {id: 'p-grace', name: 'Grace Hopper'}), "
        "(alpha:Project {id: 'alpha', name: 'Alpha', description: 'Signed-in people read it'}), "
        "(ada)-[:MEMBER_OF {roles: ['viewer']}]->(alpha)"
    )
    port = provider_port()
    issuer = f"http://127.0.0.1:{port}"
    settings = Settings(
        profile="production",
        data_dir=TEST_DATA_DIR,
        oidc_issuer=issuer,
        oidc_audience=AUDIENCE,
        oidc_jwks_url=f"{issuer}/jwks",
        oidc_person_claim="person_id",
        oidc_admin_group=ADMIN_GROUP,
        oidc_client_id=CLIENT_ID,
        oidc_resource=AUDIENCE,
        cost_budget_per_minute=10_000_000,
    )
    with live_server(settings, neo4j_target) as api, running(port, f"{api}/ui/") as provider:
        yield api, provider


def call(api: str, query: str, token: str) -> httpx.Response:
    return httpx.post(f"{api}/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def viewer(api: str, token: str) -> dict:
    body = call(api, VIEWER, token).json()
    assert "errors" not in body, body
    return body["data"]["viewer"]


def claims_of(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def code_of(response: httpx.Response) -> str:
    return response.json()["errors"][0]["extensions"]["code"]


def test_a_person_in_the_graph_acts_as_their_person_node(site):
    api, provider = site
    token = sign_in(provider, "ada")["access_token"]
    assert viewer(api, token) == {
        "subject": "ada",
        "scopes": ["read", "write"],
        "source": "oidc",
        "person": {"id": "p-ada", "name": "Ada Lovelace"},
    }
    # A viewer of the project: the write scope alone does not make a project writable.
    refused = call(api, WRITE_ALPHA, token)
    assert refused.status_code == 200 and refused.json()["data"] is None
    assert code_of(refused) == "FORBIDDEN" and "needs a role on project 'alpha'" in refused.text


def test_a_person_the_graph_does_not_know_only_reads(site, graph):
    api, provider = site
    # In the admin group and asking for everything, but with no Person node: read only.
    token = sign_in(provider, "zed", scope="openid profile read write admin")["access_token"]
    assert viewer(api, token) == {"subject": "zed", "scopes": ["read"], "source": "oidc", "person": None}
    assert call(api, '{ project(id: "alpha") { name } }', token).json()["data"]["project"]["name"] == "Alpha"
    refused = call(api, 'mutation { upsertArtifact(input: {id: "a-z", name: "Z", kind: MODEL}) { id } }', token)
    assert code_of(refused) == "FORBIDDEN" and "'write' scope" in refused.text
    assert code_of(call(api, ADD_PERSON, token)) == "FORBIDDEN"
    assert graph.execute_query("MATCH (n {id: 'a-z'}) RETURN count(n) AS n").records[0]["n"] == 0


def test_admin_comes_from_the_group_claim_never_from_the_scope_claim_alone(site, graph):
    api, provider = site
    # Ada's token says `admin` in its scope, but she is not in the admin group.
    ada = sign_in(provider, "ada", scope="openid profile read write admin")["access_token"]
    assert viewer(api, ada)["scopes"] == ["read", "write"]
    assert code_of(call(api, ADD_PERSON, ada)) == "FORBIDDEN"
    # Grace is in the group: admin when her token asks for it, not otherwise.
    plain = sign_in(provider, "grace")["access_token"]
    assert viewer(api, plain)["scopes"] == ["read", "write"]
    grace = sign_in(provider, "grace", scope="openid profile read write admin")["access_token"]
    assert viewer(api, grace)["scopes"] == ["read", "write", "admin"]
    assert call(api, ADD_PERSON, grace).json()["data"] == {"upsertPerson": {"id": "p-new"}}
    actor = graph.execute_query(
        "MATCH (e:AuditEvent {action: 'upsertPerson'}) WHERE 'p-new' IN e.targets RETURN e.actor AS actor"
    ).records[0]["actor"]
    assert actor == "person:p-grace"


def test_a_token_for_another_audience_is_refused(site):
    api, provider = site
    token = sign_in(provider, "ada", resource=OTHER_AUDIENCE)["access_token"]
    refused = call(api, VIEWER, token)
    assert refused.status_code == 401 and code_of(refused) == "UNAUTHENTICATED"
    assert "'aud'" in refused.json()["errors"][0]["message"]
    assert 'error="invalid_token"' in refused.headers["www-authenticate"]


def test_each_signed_in_person_spends_their_own_budget():
    # People signed in through one frontend share its client id, not its query budget.
    ada = Principal(subject="ada", scopes=frozenset({"read"}), source="oidc", client_id=CLIENT_ID)
    grace = Principal(subject="grace", scopes=frozenset({"read"}), source="oidc", client_id=CLIENT_ID)
    assert ada.budget_key == "sub:ada" and grace.budget_key == "sub:grace"


def test_the_explorer_is_told_where_to_sign_in(site):
    api, provider = site
    config = httpx.get(f"{api}/ui/config.json", timeout=10)
    assert config.json()["signIn"] == {
        "issuer": provider.issuer,
        "clientId": CLIENT_ID,
        "scopes": "openid profile read write",
        "resource": AUDIENCE,
    }
    # The page may call the provider (discovery, token endpoint) and nothing else besides itself.
    policy = httpx.get(f"{api}/ui/", timeout=10).headers["content-security-policy"]
    assert f"connect-src 'self' {provider.issuer};" in policy


# --- in Chromium ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: `bin/dev test` installs Debian's chromium package")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def test_sign_in_see_a_project_be_refused_a_write_and_sign_out(site, browser, graph):
    api, provider = site
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    # Only the API and the provider: the provider's pages ask for a web font, which stays out.
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith((api, provider.issuer)) else route.abort(),
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    # Refusals (the 401 before signing in, the 403) and the aborted font show as failed loads.
    page.on(
        "console",
        lambda m: m.type == "error" and not m.text.startswith("Failed to load resource") and problems.append(m.text),
    )
    bearer: list[str] = []
    page.on(
        "request",
        lambda r: (
            r.url == f"{api}/graphql" and "authorization" in r.headers and bearer.append(r.headers["authorization"])
        ),
    )

    # The person's own page: it lists their projects. (A project's own page would also ask for
    # the models' recommendations, which take long to load on first use and are not the point here.)
    page.goto(f"{api}/ui/#/person/p-ada")
    banner = page.locator("#banner")
    banner.wait_for()
    assert "needs you to sign in" in banner.inner_text()
    page.locator("#sign-in").click()

    # The provider's own sign-in and consent pages.
    page.wait_for_url(f"{provider.issuer}/interaction/**")
    page.fill("input[name=login]", "ada")
    page.fill("input[name=password]", "any")
    page.locator("button[type=submit]").click()
    page.locator("button", has_text="Continue").click()

    # Back on the Explorer, at the page the person was on, with the code gone from the address.
    page.wait_for_url(f"{api}/ui/#/person/p-ada")
    page.locator("#account-name", has_text="Ada Lovelace").wait_for()
    page.locator("#account-roles", has_text="viewer on Alpha").wait_for()
    assert page.locator("#account-roles").inner_text().startswith("read · write")
    page.locator("[data-panel=person-projects] a", has_text="Alpha").wait_for()
    assert page.locator("#banner").is_hidden()

    # The token is sent as a bearer header and kept in memory only.
    assert bearer and bearer[-1].startswith("Bearer ")
    token = bearer[-1].removeprefix("Bearer ")
    storage = page.evaluate("JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])")
    assert token not in storage and json.loads(storage) == [[], []]

    # Renewal: the refresh token (in memory too) gets a new access token, which the page then sends.
    with page.expect_request(
        lambda r: r.url == f"{api}/graphql" and r.headers.get("authorization") != f"Bearer {token}"
    ):
        assert page.evaluate("async () => (await import('./auth/session.js')).renew()") is True
    renewed = bearer[-1].removeprefix("Bearer ")
    assert renewed != token and claims_of(renewed)["sub"] == "ada"
    token = renewed

    # A write without a role that allows it: refused, and nothing changes.
    refused = page.evaluate(
        """async (mutation) => {
            const { execute } = await import('./api/client.js');
            try { await execute(mutation); return 'written'; } catch (e) { return `${e.kind}: ${e.message}`; }
        }""",
        WRITE_ALPHA,
    )
    assert refused.startswith("forbidden: upsertProject needs a role on project 'alpha'"), refused
    assert graph.execute_query("MATCH (p:Project {id: 'alpha'}) RETURN p.name AS name").records[0]["name"] == "Alpha"

    # When the API stops taking the token (here: revoked), the page says the session expired.
    graph.execute_query(
        "CREATE (:RevokedToken {jti: $jti, expires_at: datetime() + duration('PT1H')})", jti=claims_of(token)["jti"]
    )
    page.evaluate("location.hash = '#/search?q=Alpha'")  # in the page: a reload would forget the tokens anyway
    banner.get_by_text("Your session has expired").wait_for()
    assert page.locator("#account").is_hidden()
    # Signing in again is one redirect: the provider still knows the person.
    banner.get_by_role("button", name="Sign in again").click()
    page.locator("#account-name", has_text="Ada Lovelace").wait_for()
    page.wait_for_url(f"{api}/ui/#/search?q=Alpha")

    # Signing out ends the provider's session too, and comes back signed out.
    page.locator("#sign-out").click()
    page.wait_for_url(f"{provider.issuer}/session/end**")
    end_session = parse_qs(urlsplit(page.url).query)
    assert end_session["client_id"] == [CLIENT_ID] and end_session["id_token_hint"]
    page.locator("button", has_text="Yes, sign me out").click()
    page.wait_for_url(f"{api}/ui/**")
    page.locator("#sign-in").wait_for()
    assert page.locator("#account").is_hidden()
    # The provider no longer knows the person: signing in asks for the login again.
    page.locator("#sign-in").click()
    page.locator("input[name=login]").wait_for()
    context.close()
    assert problems == []


def test_the_vendored_sign_in_library_is_the_registrys_file():
    vendored = Path(__file__).resolve().parents[1] / "maestro_graph" / "ui" / "static" / "vendor" / "oauth4webapi"
    recorded = re.search(
        r"`index\.js` \| oauth4webapi@[\d.]+ \| `build/index\.js` \| [\d,]+ \| `([0-9a-f]{64})`",
        (vendored / "README.md").read_text(),
    )
    assert recorded and hashlib.sha256((vendored / "index.js").read_bytes()).hexdigest() == recorded.group(1)
