"""Every test talks to a real Neo4j.

With NEO4J_URI set (as `bin/dev test` and CI do) that server is used; otherwise the
managed server is started under a test data dir. Each test module starts from an
empty, migrated graph.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.testclient import TestClient
from typer.testing import CliRunner, Result

from maestro_graph import cli
from maestro_graph.app import create_app
from maestro_graph.config import Settings, get_settings
from maestro_graph.db import class_archive, managed_neo4j, migrations
from maestro_graph.db.connection import Neo4jTarget, open_driver
from maestro_graph.net import free_loopback_port

# Debian's chromium (bin/dev test installs the package), driven by Playwright; no browser is
# downloaded. Background networking off: a test page must reach nothing but the server under test.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

TEST_DATA_DIR = Path(os.environ.get("MAESTRO_TEST_DATA_DIR", Path.home() / ".cache" / "maestro-graph" / "test-data"))
# The test server's install records the class archive when `bin/dev test` starts it; the servers
# tests start link its jars, archive included, and record none of their own.
os.environ.setdefault(class_archive.RECORD_ENV, "0")


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system
        shutil.copy2(source, target)


@contextlib.contextmanager
def own_managed_neo4j(data_dir: Path) -> Iterator[Neo4jTarget]:
    """A managed Neo4j under `data_dir` (for tests that stop, restore or overwrite its database),
    on free ports, stopped at the end; its jars linked from the test server's install when there
    is one, so Maven does not copy them again."""
    # The test server's install: under the test data dir, or the data dir the run names.
    installs = [TEST_DATA_DIR, Path(os.environ.get("MAESTRO_DATA_DIR", TEST_DATA_DIR))]
    installed = next((d / "neo4j" / "lib" for d in installs if (d / "neo4j" / "lib" / ".stamp").is_file()), None)
    if installed is not None:
        (data_dir / "neo4j").mkdir(mode=0o700)
        shutil.copytree(installed, data_dir / "neo4j" / "lib", copy_function=_link_or_copy)
    os.chmod(data_dir, 0o700)
    conn = managed_neo4j.start(data_dir, bolt_port=free_loopback_port(), http_port=free_loopback_port())
    try:
        yield Neo4jTarget(conn.uri, conn.user, conn.password, "neo4j", managed=True)
    finally:
        managed_neo4j.stop(data_dir)


@pytest.fixture(scope="session")
def spare_neo4j(tmp_path_factory) -> Iterator[tuple[Path, Neo4jTarget]]:
    """One managed Neo4j of the tests' own beside the shared test server, for the modules that
    stop it, restore its database or import over it: started once for all of them. Each such
    module empties it first (`spare_graph`)."""
    data_dir = tmp_path_factory.mktemp("spare-neo4j")
    with own_managed_neo4j(data_dir) as target:
        yield data_dir, target


def spare_graph(spare: tuple[Path, Neo4jTarget]) -> tuple[Path, Neo4jTarget]:
    """The spare Neo4j with its database emptied of nodes and relationships."""
    with open_driver(spare[1]) as driver:
        wipe(driver)
    return spare


def cli_on(data_dir: Path, monkeypatch, *args: str, target: Neo4jTarget | None = None) -> Result:
    """`maestro-graph ARGS` on the managed Neo4j of `data_dir` (on `target`'s Bolt port when given)."""
    monkeypatch.delenv("NEO4J_URI", raising=False)
    monkeypatch.delenv("NEO4J_PASSWORD", raising=False)
    monkeypatch.setenv("MAESTRO_DATA_DIR", str(data_dir))
    if target is not None:
        monkeypatch.setenv("MAESTRO_NEO4J_BOLT_PORT", target.uri.rsplit(":", 1)[1])
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli.app, list(args))
    finally:
        get_settings.cache_clear()


@pytest.fixture(scope="session")
def neo4j_target() -> Neo4jTarget:
    if os.environ.get("NEO4J_URI"):
        return Neo4jTarget(
            os.environ["NEO4J_URI"],
            os.environ.get("NEO4J_USER", "neo4j"),
            os.environ.get("NEO4J_PASSWORD", ""),
            os.environ.get("NEO4J_DATABASE", "neo4j"),
        )
    conn = managed_neo4j.start(TEST_DATA_DIR, bolt_port=17687, http_port=17474)
    return Neo4jTarget(conn.uri, conn.user, conn.password, "neo4j", conn.browser_url, managed=True)


@pytest.fixture(scope="session")
def driver(neo4j_target):
    with open_driver(neo4j_target) as driver:
        yield driver


def wipe(driver, database: str = "neo4j") -> None:
    """Delete every node and relationship (schema stays); batched so large graphs fit in memory."""
    with driver.session(database=database) as session:
        session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume()


@pytest.fixture(scope="module")
def graph(driver, neo4j_target):
    """A clean, migrated graph for the module; yields the sync driver."""
    wipe(driver, neo4j_target.database)
    migrations.migrate(driver, neo4j_target.database)
    yield driver


def count(driver, query: str, **params) -> int:
    records, _, _ = driver.execute_query(query, params)
    return records[0][0]


def make_client(target: Neo4jTarget, profile: str = "dev", peer: str = "127.0.0.1", **overrides) -> TestClient:
    """A client of a fresh app; requests come from `peer` (loopback unless a test says otherwise,
    since the dev profile serves anonymous callers on loopback only) and name a loopback Host,
    as a browser on this machine does."""
    settings = Settings(profile=profile, data_dir=TEST_DATA_DIR, **overrides)
    return TestClient(create_app(settings, target), base_url="http://127.0.0.1:8000", client=(peer, 50000))


# The application behind each running `live_server`, by base URL (see `live_app`).
_LIVE_APPS: dict[str, Starlette] = {}


@contextlib.contextmanager
def live_server(settings: Settings, target: Neo4jTarget) -> Iterator[str]:
    """The app under uvicorn on a free loopback port, in a thread with its own event loop;
    yields its base URL (`live_app(url)` is the application behind it)."""
    port = free_loopback_port()
    app = create_app(settings, target)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    _LIVE_APPS[url] = app
    try:
        yield url
    finally:
        del _LIVE_APPS[url]
        server.should_exit = True
        thread.join(10)


def live_app(url: str) -> Starlette:
    """The application a running `live_server` serves at `url`: a test waits on its state
    (what a client cannot observe, such as a subscription having begun) instead of sleeping."""
    return _LIVE_APPS[url]


def wait_for_subscriptions(url: str, count: int, timeout_s: float = 20) -> None:
    """Until the `live_server` at `url` serves `count` subscriptions. Neither protocol
    acknowledges a subscription: graphql-transport-ws starts it in a task of its own (so not
    even the answer to a later ping says it has begun), and graphql-sse sends its headers
    before it. A subscription receives only what is committed after it began, so a test
    writes once this returns."""
    hub = live_app(url).state.events
    deadline = time.monotonic() + timeout_s
    while hub.subscriptions != count:
        assert time.monotonic() < deadline, f"the server serves {hub.subscriptions} subscriptions, not {count}"
        time.sleep(0.01)


@pytest.fixture(scope="module")
def client(graph, neo4j_target):
    with make_client(neo4j_target) as test_client:
        yield test_client


def gql(client: TestClient, query: str, variables: dict | None = None, **kwargs) -> dict:
    response = client.post("/graphql", json={"query": query, "variables": variables or {}}, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def data(client: TestClient, query: str, variables: dict | None = None, **kwargs) -> dict:
    body = gql(client, query, variables, **kwargs)
    assert "errors" not in body, body["errors"]
    return body["data"]


def error_of(client: TestClient, query: str, variables: dict | None = None, **kwargs) -> dict:
    body = gql(client, query, variables, **kwargs)
    assert body.get("errors"), f"expected an error, got {body}"
    return body["errors"][0]


# --- OAuth: clients, tokens, callers ---------------------------------------------------


def register_client(
    target: Neo4jTarget, name: str = "integration", scope: str = "read", person: str | None = None
) -> dict:
    """A registered OAuth client, as `maestro-graph oauth create-client` makes one: {client_id, client_secret}."""
    from maestro_graph.auth.clients import create_client
    from maestro_graph.db.connection import open_async_driver
    from maestro_graph.db.graph import GraphDB

    async def create() -> dict:
        db = GraphDB(open_async_driver(target, max_pool_size=2), target.database)
        try:
            return await create_client(db, name, scope, person)
        finally:
            await db.close()

    return asyncio.run(create())


def access_token(client: TestClient, credentials: dict, scope: str | None = None) -> str:
    """A token from the client-credentials grant (client_secret_basic)."""
    form = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    response = client.post("/oauth/token", data=form, auth=(credentials["client_id"], credentials["client_secret"]))
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


# What make_client's app calls itself (its base URL) and the audience its tokens name.
ISSUER = "http://127.0.0.1:8000"
AUDIENCE = "maestro-graph"


def claims_for(who: str, **changes) -> dict:
    """Claims of an access token for client `who`, as the server issues them; a change set to
    None leaves that claim out."""
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 300,
        "sub": who,
        "client_id": who,
        "jti": uuid.uuid4().hex,
        "scope": "read",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def bearer(token: str) -> dict:
    return {"headers": {"Authorization": f"Bearer {token}"}}


@pytest.fixture(scope="module")
def production(graph, neo4j_target):
    """The production profile, called from a non-loopback address, with a budget no test exhausts by accident."""
    with make_client(
        neo4j_target,
        profile="production",
        peer="203.0.113.7",
        cost_budget_per_minute=10_000_000,
        oauth_requests_per_minute=10_000,
    ) as test_client:
        yield test_client
