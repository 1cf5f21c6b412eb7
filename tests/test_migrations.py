"""Migrations against the real Neo4j: applied in order, recorded, each once."""

from __future__ import annotations

import pytest
from conftest import count

from maestro_graph.db import migrations


def test_all_migrations_recorded_and_schema_present(graph):
    expected = [m.id for m in migrations.load_migrations()]
    assert sorted(migrations.applied(graph, "neo4j")) == expected
    constraints = {r["name"] for r in graph.execute_query("SHOW CONSTRAINTS YIELD name").records}
    assert {"project_id", "artifact_id", "person_id", "team_id"} <= constraints
    indexes = {r["name"]: r["type"] for r in graph.execute_query("SHOW INDEXES YIELD name, type").records}
    assert indexes["entity_text"] == "FULLTEXT"
    assert indexes["project_embedding"] == "VECTOR"


def test_second_run_applies_nothing(graph):
    assert migrations.migrate(graph, "neo4j") == []
    assert count(graph, "MATCH (m:Migration) RETURN count(m)") == len(migrations.load_migrations())


def test_unique_ids_are_enforced(graph):
    graph.execute_query("MERGE (:Team {id: 'dup-team'})")
    with pytest.raises(Exception, match="already exists"):
        graph.execute_query("CREATE (:Team {id: 'dup-team'})")
    graph.execute_query("MATCH (t:Team {id: 'dup-team'}) DELETE t")


def test_new_file_runs_once_and_edits_are_refused(graph, tmp_path):
    for m in migrations.MIGRATIONS_DIR.glob("*.cypher"):
        (tmp_path / m.name).write_text(m.read_text())
    extra = tmp_path / "9999_tmp_index.cypher"
    extra.write_text("// a test migration\nCREATE INDEX tmp_thing IF NOT EXISTS FOR (n:TmpThing) ON (n.x);\n")
    try:
        assert migrations.migrate(graph, "neo4j", tmp_path) == ["9999"]
        assert migrations.migrate(graph, "neo4j", tmp_path) == []
        extra.write_text("CREATE INDEX tmp_other IF NOT EXISTS FOR (n:TmpThing) ON (n.y);\n")
        with pytest.raises(migrations.MigrationError, match="changed after it was applied"):
            migrations.migrate(graph, "neo4j", tmp_path)
    finally:
        graph.execute_query("DROP INDEX tmp_thing IF EXISTS")
        graph.execute_query("MATCH (m:Migration {id: '9999'}) DELETE m")


def test_badly_named_file_is_refused(tmp_path):
    (tmp_path / "add_stuff.cypher").write_text("RETURN 1;")
    with pytest.raises(migrations.MigrationError, match="NNNN_snake_name"):
        migrations.load_migrations(tmp_path)


def test_statements_split_on_semicolons_and_skip_comments():
    text = "// comment; with a semicolon\nCREATE INDEX a IF NOT EXISTS\nFOR (n:A) ON (n.x);\n\nRETURN 'a;b';\n"
    assert migrations.split_statements(text) == ("CREATE INDEX a IF NOT EXISTS\nFOR (n:A) ON (n.x)", "RETURN 'a;b'")
