"""`backup` and `restore` on a managed Neo4j of the module's own (the server stops for a dump
or a load, so never the shared test server): a restored graph is the graph that was backed
up, node for node and property for property; a graph that holds data is replaced only with
--force; a cut-short or foreign archive is refused and the graph left as it was."""

from __future__ import annotations

import hashlib
import json

import pytest
from conftest import cli_on, spare_graph, wipe
from typer.testing import CliRunner

from maestro_graph import cli
from maestro_graph.config import get_settings
from maestro_graph.db import managed_neo4j, migrations
from maestro_graph.db.connection import Neo4jTarget, open_driver
from maestro_graph.repositories.graph_summary import data_nodes

_SEED = """
UNWIND range(1, 12) AS i
MERGE (p:Project {id: 'p' + i}) SET p.name = 'Project ' + i, p.tags = ['t' + (i % 3)], p.score = i / 7.0
MERGE (a:Artifact {id: 'a' + (i % 5)}) SET a.name = 'Artifact ' + (i % 5), a.kind = 'dataset'
MERGE (p)-[u:USES]->(a) SET u.count = i, u.first_used = datetime('2025-01-01T00:00:00Z') + duration({days: i})
MERGE (m:Model {version: 'v' + (i % 2), task: 'outcome'})
CREATE (:Prediction {score: i / 12.0})-[:OF]->(p)
"""


def graph_fingerprint(driver, database: str = "neo4j") -> tuple[int, int, str]:
    """Node count, relationship count and a checksum of every label, type and property."""
    nodes, _, _ = driver.execute_query(
        "MATCH (n) RETURN elementId(n) AS key, labels(n) AS labels, properties(n) AS props", database_=database
    )
    rels, _, _ = driver.execute_query(
        "MATCH (s)-[r]->(e) RETURN elementId(s) AS s, elementId(e) AS e, type(r) AS type, properties(r) AS props",
        database_=database,
    )
    # Element ids survive a dump and load (the store is copied as it is); an export would
    # renumber them, so rows are keyed by what they hold, not by id.
    node_rows = sorted(json.dumps([sorted(r["labels"]), r["props"]], sort_keys=True, default=str) for r in nodes)
    rel_rows = sorted(json.dumps([r["type"], r["props"]], sort_keys=True, default=str) for r in rels)
    digest = hashlib.sha256("\n".join(node_rows + rel_rows).encode()).hexdigest()
    return len(nodes), len(rels), digest


@pytest.fixture(scope="module")
def managed(spare_neo4j):
    """The spare managed Neo4j, its database empty."""
    return spare_graph(spare_neo4j)


def seeded(target: Neo4jTarget) -> tuple[int, int, str]:
    with open_driver(target) as driver:
        wipe(driver)
        migrations.migrate(driver, "neo4j")
        driver.execute_query(_SEED)
        return graph_fingerprint(driver)


def fingerprint(target: Neo4jTarget) -> tuple[int, int, str]:
    with open_driver(target) as driver:
        return graph_fingerprint(driver)


@pytest.fixture(scope="module")
def backed_up(managed, tmp_path_factory):
    """The seeded graph's fingerprint and an archive of it, made by `backup`."""
    data_dir, target = managed
    before = seeded(target)
    archive = tmp_path_factory.mktemp("archives") / "graph.dump"
    with pytest.MonkeyPatch.context() as monkeypatch:
        result = cli_on(data_dir, monkeypatch, "backup", str(archive))
    assert result.exit_code == 0, result.output
    return before, archive


def test_a_backup_is_a_private_new_file_and_the_server_runs_again(managed, backed_up, monkeypatch):
    data_dir, target = managed
    before, archive = backed_up
    assert archive.stat().st_size > 0 and archive.stat().st_mode & 0o077 == 0
    assert managed_neo4j.status(data_dir) is not None
    assert fingerprint(target) == before
    again = cli_on(data_dir, monkeypatch, "backup", str(archive))
    assert again.exit_code == 1 and "already exists" in again.output


def test_backup_then_wipe_then_restore_gives_the_same_graph(managed, backed_up, monkeypatch):
    data_dir, target = managed
    before, archive = backed_up
    with open_driver(target) as driver:
        wipe(driver)
        migrations.migrate(driver, "neo4j")
        # A fresh, migrated graph holds migration records only: a restore needs no --force there.
        assert data_nodes(driver, "neo4j") == 0
        driver.execute_query("CREATE (:Project {id: 'written-after-the-wipe', name: 'later'})")
        assert data_nodes(driver, "neo4j") == 1
    changed = fingerprint(target)

    refused = cli_on(data_dir, monkeypatch, "restore", str(archive))
    assert refused.exit_code == 2
    assert "not empty (1 nodes)" in refused.output and "--force" in refused.output
    assert fingerprint(target) == changed, "a refused restore leaves the graph as it was"

    restored = cli_on(data_dir, monkeypatch, "restore", str(archive), "--force")
    assert restored.exit_code == 0, restored.output
    assert managed_neo4j.status(data_dir) is not None, "the server is running again after the restore"
    assert fingerprint(target) == before


def test_a_truncated_or_foreign_archive_is_refused_and_the_graph_left_as_it_was(
    managed, backed_up, monkeypatch, tmp_path
):
    data_dir, target = managed
    _, archive = backed_up
    with open_driver(target) as driver:
        driver.execute_query("MERGE (:Project {id: 'kept', name: 'kept'})")
    current = fingerprint(target)
    cut = tmp_path / "cut.dump"
    cut.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    foreign = tmp_path / "notes.dump"
    foreign.write_text("not an archive\n")

    for bad in (cut, foreign):
        result = cli_on(data_dir, monkeypatch, "restore", str(bad), "--force")
        assert result.exit_code == 2, result.output
        assert "not a complete Neo4j dump" in result.output
        assert "nothing was changed" in result.output
        assert fingerprint(target) == current


def test_backup_and_restore_refuse_a_neo4j_they_do_not_manage(monkeypatch, tmp_path):
    monkeypatch.setenv("NEO4J_URI", "neo4j+s://example.databases.neo4j.io")
    monkeypatch.setenv("MAESTRO_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        for args in (["backup", str(tmp_path / "x.dump")], ["restore", str(tmp_path / "x.dump")]):
            result = CliRunner().invoke(cli.app, args)
            assert result.exit_code == 2
            assert "managed Neo4j only" in result.output
    finally:
        get_settings.cache_clear()
