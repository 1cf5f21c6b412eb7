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

from maestro_graph.db import managed_neo4j
from maestro_graph.net import free_loopback_port

pytestmark = pytest.mark.skipif(
    shutil.which("java") is None or shutil.which("mvn") is None,
    reason="the managed Neo4j needs Java 17+ and Maven",
)


def _pid(data_dir: Path) -> int:
    return json.loads((data_dir / "neo4j" / "state.json").read_text())["pid"]


def _readable_by_others(folder: Path) -> list[str]:
    return [str(path) for path in folder.rglob("*") if stat.S_IMODE(path.lstat().st_mode) & 0o077]


def test_start_query_browser_stop(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    # A data dir made earlier with the usual umask is tightened, not trusted as it is.
    data_dir.mkdir()
    data_dir.chmod(0o755)
    bolt_port, http_port = free_loopback_port(), free_loopback_port()
    try:
        conn = managed_neo4j.start(data_dir, bolt_port=bolt_port, http_port=http_port)
        assert conn.uri == f"bolt://127.0.0.1:{bolt_port}"
        assert conn.user == "neo4j"

        # The store, the transaction logs and the logs are the service user's alone.
        assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
        assert stat.S_IMODE((data_dir / "neo4j").stat().st_mode) == 0o700
        home = data_dir / "neo4j"
        assert any((home / "data" / "transactions").rglob("neostore.transaction.db.*"))
        assert _readable_by_others(home / "data") == [] and _readable_by_others(home / "logs") == []

        # The generated password is stored privately and is the one the server accepts.
        pw_file = data_dir / "neo4j" / "password"
        assert stat.S_IMODE(pw_file.stat().st_mode) == 0o600
        assert pw_file.read_text().strip() == conn.password
        with neo4j.GraphDatabase.driver(conn.uri, auth=(conn.user, conn.password)) as driver:
            records, _, _ = driver.execute_query("RETURN 1 AS one")
            assert records[0]["one"] == 1
        with (
            neo4j.GraphDatabase.driver(conn.uri, auth=(conn.user, "wrong-password")) as driver,
            pytest.raises(AuthError),
        ):
            driver.verify_connectivity()

        # A second start finds the running server instead of launching another JVM.
        pid = _pid(data_dir)
        assert managed_neo4j.start(data_dir, bolt_port=bolt_port, http_port=http_port) == conn
        assert _pid(data_dir) == pid
        assert managed_neo4j.status(data_dir) == conn

        # The HTTP connector serves Neo4j Browser.
        assert conn.browser_url == f"http://127.0.0.1:{http_port}/browser/"
        with urllib.request.urlopen(conn.browser_url, timeout=10) as resp:
            assert resp.status == 200
            assert b"Neo4j Browser" in resp.read()

        # Another data dir cannot take ports that are in use.
        with pytest.raises(managed_neo4j.Neo4jServerError, match="in use"):
            managed_neo4j.start(tmp_path / "other", bolt_port=bolt_port, http_port=free_loopback_port())

        assert managed_neo4j.stop(data_dir) is True
        assert managed_neo4j.status(data_dir) is None
        assert managed_neo4j.stop(data_dir) is False
        assert not (data_dir / "neo4j" / "state.json").exists()
    finally:
        managed_neo4j.stop(data_dir)


def test_failed_start_reports_log_tail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An invalid heap size is rejected before any JVM starts.
    monkeypatch.setenv("NEO4J_HEAP", "lots")
    with pytest.raises(managed_neo4j.Neo4jServerError, match="NEO4J_HEAP"):
        managed_neo4j.start(tmp_path, bolt_port=free_loopback_port(), http_port=free_loopback_port())

    # A JVM that dies at once surfaces its output and leaves no state behind.
    monkeypatch.delenv("NEO4J_HEAP")
    monkeypatch.setattr(managed_neo4j, "_JVM_FLAGS", ["-XX:+NoSuchJvmOption"])
    with pytest.raises(managed_neo4j.Neo4jServerError, match="NoSuchJvmOption"):
        managed_neo4j.start(tmp_path, bolt_port=free_loopback_port(), http_port=free_loopback_port(), timeout_s=60)
    assert managed_neo4j.status(tmp_path) is None
    assert not (tmp_path / "neo4j" / "state.json").exists()
