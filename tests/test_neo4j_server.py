"""End-to-end test of the managed local Neo4j: install, start, auth, Browser, stop."""

from __future__ import annotations

import json
import shutil
import stat
import sys
import urllib.request
from pathlib import Path

import neo4j
import pytest
from conftest import TEST_DATA_DIR
from neo4j.exceptions import AuthError

from maestro_graph.db import class_archive, managed_neo4j
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

    # A JVM that dies at once surfaces its output and leaves no state behind: first the start
    # that would record the class archive (given up on for this install), then the plain one.
    monkeypatch.delenv("NEO4J_HEAP")
    monkeypatch.setenv(class_archive.RECORD_ENV, "1")
    monkeypatch.setattr(managed_neo4j, "_JVM_FLAGS", ["-XX:+NoSuchJvmOption"])
    with pytest.raises(managed_neo4j.Neo4jServerError, match="NoSuchJvmOption"):
        managed_neo4j.start(tmp_path, bolt_port=free_loopback_port(), http_port=free_loopback_port(), timeout_s=60)
    assert managed_neo4j.status(tmp_path) is None
    assert not (tmp_path / "neo4j" / "state.json").exists()
    lib = tmp_path / "neo4j" / "lib"
    assert class_archive.given_up_marker(lib, managed_neo4j.java_binary()).exists()
    assert not class_archive.should_record(lib, managed_neo4j.java_binary())


def _managed_test_server_home(neo4j_target) -> Path:
    """The test server's home under the test data dir; skips the test when the tests run
    against another Neo4j (NEO4J_URI pointing elsewhere)."""
    home = TEST_DATA_DIR / "neo4j"
    state = json.loads((home / "state.json").read_text()) if (home / "state.json").is_file() else {}
    if not neo4j_target.uri.endswith(f":{state.get('bolt_port')}"):
        pytest.skip("the test server is not the managed one under the test data dir")
    return home


def test_the_test_server_maps_the_class_archive_its_install_recorded(neo4j_target) -> None:
    """`bin/dev test` starts the test server on its install, whose first start records the
    archive; the running JVM then has the file mapped (how class data sharing reads it)."""
    home = _managed_test_server_home(neo4j_target)
    archive = class_archive.archive_path(home / "lib", managed_neo4j.java_binary())
    assert archive.is_file(), "the install's first start recorded no class archive"
    maps = Path(f"/proc/{_pid(TEST_DATA_DIR)}/maps").read_text()
    assert str(archive) in maps


def test_only_a_recording_that_ended_in_a_clean_exit_becomes_the_archive(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(class_archive.RECORD_ENV, "1")
    lib, java = tmp_path / "lib", sys.executable  # any file stands for the Java binary's identity
    lib.mkdir()
    assert class_archive.should_record(lib, java)
    flags = class_archive.jvm_flags(lib, java, record=True)
    recording = Path(flags[-1].split("=", 1)[1])
    assert recording.parent == lib and not recording.exists()

    recording.write_bytes(b"classes")  # what the JVM writes at its exit
    assert class_archive.finish_recording(lib, java, exited_cleanly=True)
    assert class_archive.archive_path(lib, java).read_bytes() == b"classes"
    assert f"-XX:SharedArchiveFile={class_archive.archive_path(lib, java)}" in class_archive.jvm_flags(lib, java)
    assert not class_archive.should_record(lib, java)

    # A killed JVM may leave a cut-short file: dropped, and never tried again on this install.
    other = tmp_path / "other-lib"
    other.mkdir()
    class_archive.jvm_flags(other, java, record=True)
    recording = other / recording.name
    recording.write_bytes(b"cla")
    assert not class_archive.finish_recording(other, java, exited_cleanly=False)
    assert not recording.exists() and not class_archive.archive_path(other, java).exists()
    assert not class_archive.should_record(other, java)
    assert not any(flag.startswith("-XX:SharedArchiveFile") for flag in class_archive.jvm_flags(other, java))

    monkeypatch.setenv(class_archive.RECORD_ENV, "0")
    assert not class_archive.should_record(tmp_path / "third", java)


def test_the_managed_server_asks_the_driver_for_no_read_timeout(neo4j_target, caplog) -> None:
    """Neo4j's default keep-alive hint (`connection.recv_timeout_seconds`) makes the Python driver
    wrap every socket read in a timeout task; the managed server sends no such hint. Read from
    the HELLO answer the driver logs, as any client of the server would receive it."""
    _managed_test_server_home(neo4j_target)
    auth = (neo4j_target.user, neo4j_target.password)
    with caplog.at_level("DEBUG", logger="neo4j.io"), neo4j.GraphDatabase.driver(neo4j_target.uri, auth=auth) as driver:
        driver.execute_query("RETURN 1", database_=neo4j_target.database)
    # caplog.text is formatted as each record is emitted: the driver takes the hints out of the
    # logged answer right after logging it, so a record formatted later shows none.
    hello_answers = [line for line in caplog.text.splitlines() if "'connection_id'" in line]
    assert hello_answers, "the driver logged no HELLO answer"
    assert all("'hints'" in answer and "recv_timeout" not in answer for answer in hello_answers)
