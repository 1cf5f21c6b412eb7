"""What the dev profile trusts (a loopback peer naming a loopback Host, on a loopback bind,
however the profile was chosen), and the token endpoint's rate limit against made-up
X-Forwarded-For headers."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from conftest import TEST_DATA_DIR, access_token, bearer, count, data, make_client, register_client
from pydantic import ValidationError
from typer.testing import CliRunner

from maestro_graph import cli, cli_support
from maestro_graph.app import create_app
from maestro_graph.auth.loopback import host_header_is_loopback
from maestro_graph.config import Settings, get_settings
from maestro_graph.net import free_loopback_port
from maestro_graph.serving import BindRefused, check_bind, uvicorn_options

QUERY = "{ projects { totalCount } }"
MUTATION = 'mutation { upsertProject(input: {id: "rebound", name: "Rebound"}) { id } }'
REBOUND = "MATCH (p:Project {id: 'rebound'}) RETURN count(p)"


@pytest.fixture(scope="module")
def dev(graph, neo4j_target):
    with make_client(neo4j_target) as client:
        yield client


# --- DNS rebinding: a loopback peer must also name a loopback Host --------------------------


@pytest.mark.parametrize(
    "host",
    [
        "evil.example:8000",
        "evil.example",
        "127.0.0.1.evil.example",
        "localhost.evil.example:8000",
        "10.0.0.1:8000",
        "[::2]:8000",
        "127.0.0.1:80:80",
        "127.0.0.1:http",
    ],
)
def test_dev_serves_no_anonymous_request_naming_another_host(dev, graph, host):
    response = dev.post("/graphql", json={"query": MUTATION}, headers={"Host": host})
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "localhost, 127.0.0.1 or [::1]" in error["message"]
    assert count(graph, REBOUND) == 0


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "LOCALHOST", "[::1]:8000", "127.0.0.5", "[::1]"])
def test_dev_serves_anonymous_requests_naming_a_loopback_host(dev, host):
    assert data(dev, QUERY, headers={"Host": host})["projects"]["totalCount"] >= 0


def test_a_token_is_honoured_whatever_host_it_names(dev, neo4j_target):
    # A rebinding page has no token: with one, the caller is known and its scopes apply.
    token = access_token(dev, register_client(neo4j_target, "named-host", "read"))
    assert data(dev, QUERY, headers={"Host": "evil.example:8000", **bearer(token)["headers"]})


@pytest.mark.parametrize(
    "value, loopback",
    [
        ("localhost", True),
        ("localhost:1", True),
        ("127.0.0.1:65535", True),
        ("127.8.9.10", True),
        ("[::1]:8000", True),
        ("evil.example", False),
        ("localhost.", False),
        ("127.1", False),
        ("::1", False),
        ("[::1", False),
        ("[::1]x", False),
        ("127.0.0.1:", False),
        ("127.0.0.1:123456", False),
        ("0.0.0.0", False),
        ("", False),
        (None, False),
    ],
)
def test_what_counts_as_a_loopback_host_header(value, loopback):
    assert host_header_is_loopback(value) is loopback


# --- one bind rule for the dev profile, however it is chosen --------------------------------


def _must_not_start(*args, **kwargs):
    raise AssertionError("serve went on to start Neo4j with a bind address the dev profile refuses")


@pytest.mark.parametrize("chosen_by", ["--dev", "MAESTRO_PROFILE", ".env"])
@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10"])
def test_serve_in_the_dev_profile_refuses_a_non_loopback_host(chosen_by, host, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MAESTRO_PROFILE", raising=False)
    monkeypatch.setattr(cli_support, "resolve_target", _must_not_start)
    args = ["serve", "--host", host]
    if chosen_by == "--dev":
        args.append("--dev")
    elif chosen_by == "MAESTRO_PROFILE":
        monkeypatch.setenv("MAESTRO_PROFILE", "dev")
    else:
        (tmp_path / ".env").write_text("MAESTRO_PROFILE=dev\n")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, args)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2, result.output
    assert "loopback address only" in result.output and repr(host) in result.output


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.5", "::1", "localhost"])
def test_the_dev_profile_binds_to_any_loopback_address(host):
    check_bind(Settings(profile="dev"), host)


def test_the_production_profile_binds_anywhere():
    check_bind(Settings(profile="production"), "0.0.0.0")
    with pytest.raises(BindRefused):
        check_bind(Settings(profile="dev"), "0.0.0.0")


# --- forwarded headers and the token endpoint's rate limit ----------------------------------


@contextlib.contextmanager
def served(settings: Settings, target) -> Iterator[httpx.Client]:
    """The app under uvicorn with the options `serve` gives it, on a free loopback port."""
    port = free_loopback_port()
    # The test's own logging stays as it is; the proxy options are what is under test.
    options = {**uvicorn_options(settings, "127.0.0.1", port), "log_config": None, "log_level": "warning"}
    server = uvicorn.Server(uvicorn.Config(create_app(settings, target), **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            yield http
    finally:
        server.should_exit = True
        thread.join(30)


def _guesses(http: httpx.Client, forwarded_for: list[str]) -> list[int]:
    # A different client id each time, so only the per-address bucket can hold them back.
    return [
        http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "client_id": f"mgc_guess_{n}", "client_secret": "guess"},
            headers={"X-Forwarded-For": address},
        ).status_code
        for n, address in enumerate(forwarded_for)
    ]


def test_a_made_up_forwarded_for_does_not_dodge_the_token_rate_limit(graph, neo4j_target):
    settings = Settings(profile="production", data_dir=TEST_DATA_DIR, oauth_requests_per_minute=2)
    with served(settings, neo4j_target) as http:
        assert _guesses(http, [f"198.51.100.{n}" for n in range(4)]) == [401, 401, 429, 429]


def test_a_configured_proxy_forwards_its_callers_addresses(graph, neo4j_target):
    settings = Settings(
        profile="production", data_dir=TEST_DATA_DIR, oauth_requests_per_minute=2, trusted_proxies=["127.0.0.0/8"]
    )
    with served(settings, neo4j_target) as http:
        # Each caller behind the proxy has a bucket of its own...
        assert _guesses(http, [f"198.51.100.{n}" for n in range(4)]) == [401, 401, 401, 401]
        # ...and one caller cannot spend more than its own.
        assert _guesses(http, ["198.51.100.99"] * 3) == [401, 401, 429]


def test_one_client_has_one_bucket_whichever_address_calls(graph, neo4j_target):
    # Guesses at one client spread over many addresses (or all behind one proxy) share its bucket.
    settings = Settings(
        profile="production", data_dir=TEST_DATA_DIR, oauth_requests_per_minute=3, trusted_proxies=["127.0.0.0/8"]
    )
    spread, other = (register_client(neo4j_target, name, "read") for name in ("spread", "unaffected"))

    def grant(credentials: dict, address: str) -> int:
        return http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={"X-Forwarded-For": address},
            auth=(credentials["client_id"], credentials["client_secret"]),
        ).status_code

    with served(settings, neo4j_target) as http:
        assert [grant(spread, f"198.51.100.{n}") for n in range(5)] == [200, 200, 200, 429, 429]
        assert grant(other, "198.51.100.50") == 200


@pytest.mark.parametrize("proxies", [["*"], ["proxy.internal"], ["10.0.0.0/33"]])
def test_trusted_proxies_must_be_addresses_or_networks(proxies):
    with pytest.raises(ValidationError, match="trusted_proxies"):
        Settings(trusted_proxies=proxies)
