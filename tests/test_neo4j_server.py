"""End-to-end test of the managed local Neo4j: install, start, auth, Browser, stop."""

from __future__ import annotations

import json
import shutil
import stat
import urllib.request
from pathlib import Path

import neo4j
import pytest
from neo4j.exceptions import AuthError

from maestro_graph.net import free_loopback_port
from maestro_graph import neo4j_server

pytestmark = pytest.mark.skipif(
    shutil.which("java") is None or shutil.which("mvn") is None,
    reason="the managed Neo4j needs Java 17+ and Maven",
)


def _pid(data_dir: Path) -> int:
    return json.loads((data_dir / "neo4j" / "state.json").read_text())["pid"]


def test_start_query_browser_stop(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    bolt_port, http_port = free_loopback_port(), free_loopback_port()
    try:
        conn = neo4j_server.start(data_dir, bolt_port=bolt_port, http_port=http_port)
        assert conn.uri == f"bolt://127.0.0.1:{bolt_port}"
        assert conn.user == "neo4j"

        # The generated password is stored privately and is the one the server accepts.
        pw_file = data_dir / "neo4j" / "password"
        assert stat.S_IMODE(pw_file.stat().st_mode) == 0o600
        assert pw_file.read_text().strip() == conn.password
        with neo4j.GraphDatabase.driver(conn.uri, auth=(conn.user, conn.password)) as driver:
            records, _, _ = driver.execute_query("RETURN 1 AS one")
            assert records[0]["one"] == 1
        with neo4j.GraphDatabase.driver(conn.uri, auth=(conn.user, "wrong-password")) as driver:
            with pytest.raises(AuthError):
                driver.verify_connectivity()

        # A second start finds the running server instead of launching another JVM.
        pid = _pid(data_dir)
        assert neo4j_server.start(data_dir, bolt_port=bolt_port, http_port=http_port) == conn
        assert _pid(data_dir) == pid
        assert neo4j_server.status(data_dir) == conn

        # The HTTP connector serves Neo4j Browser.
        assert conn.browser_url == f"http://127.0.0.1:{http_port}/browser/"
        with urllib.request.urlopen(conn.browser_url, timeout=10) as resp:
            assert resp.status == 200
            assert b"Neo4j Browser" in resp.read()

        # Another data dir cannot take ports that are in use.
        with pytest.raises(neo4j_server.Neo4jServerError, match="in use"):
            neo4j_server.start(tmp_path / "other", bolt_port=bolt_port, http_port=free_loopback_port())

        assert neo4j_server.stop(data_dir) is True
        assert neo4j_server.status(data_dir) is None
        assert neo4j_server.stop(data_dir) is False
        assert not (data_dir / "neo4j" / "state.json").exists()
    finally:
        neo4j_server.stop(data_dir)


def test_failed_start_reports_log_tail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An invalid heap size is rejected before any JVM starts.
    monkeypatch.setenv("NEO4J_HEAP", "lots")
    with pytest.raises(neo4j_server.Neo4jServerError, match="NEO4J_HEAP"):
        neo4j_server.start(tmp_path, bolt_port=free_loopback_port(), http_port=free_loopback_port())

    # A JVM that dies at once surfaces its output and leaves no state behind.
    monkeypatch.delenv("NEO4J_HEAP")
    monkeypatch.setattr(neo4j_server, "_JVM_FLAGS", ["-XX:+NoSuchJvmOption"])
    with pytest.raises(neo4j_server.Neo4jServerError, match="NoSuchJvmOption"):
        neo4j_server.start(tmp_path, bolt_port=free_loopback_port(), http_port=free_loopback_port(), timeout_s=60)
    assert neo4j_server.status(tmp_path) is None
    assert not (tmp_path / "neo4j" / "state.json").exists()
