"""`maestro-graph export DIR` writes the bundle `import` reads: export → fresh graph → import
gives the same projects, artifacts, people, teams, their relationships and outcomes, counted
and checksummed property by property; what a bundle has no place for is named."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from conftest import wipe
from typer.testing import CliRunner, Result

from maestro_graph import cli
from maestro_graph.config import get_settings
from maestro_graph.db import migrations

BUNDLE = {
    "projects.csv": (
        "project_id,name,description,section,tags,status,created_at\n"
        'p1,Churn model,"Predicts churn, weekly.\nSecond line with ""quotes""",ml,"nlp,vision",active,'
        "2024-05-01T10:00:00.123456+00:00\n"
        "p2,Ranker,,web,,archived,2024-06-01T00:00:00Z\n"
        "p3,Unstarted,,,,,\n"
    ),
    "artifacts.csv": (
        "artifact_id,name,kind,description,section,version,uri,created_at\n"
        "a1,events,dataset,Click events,data,v3,s3://bucket/events,2024-01-01T00:00:00Z\n"
        "a2,torch,library,,,2.3,,\n"
    ),
    "people.csv": "person_id,kind,name\nu1,person,Ada\nu2,team,Platform\n",
    "uses.csv": (
        "project_id,artifact_id,kind,count,context,used_at\n"
        "p1,a1,depends,4,training,2024-05-02T00:00:00Z\n"
        "p1,a1,recommends,,,2024-07-02T00:00:00Z\n"
        "p2,a2,,,,\n"
    ),
    "members.csv": "person_id,project_id,role,since\nu1,p1,owner,2024-05-01T00:00:00Z\nu1,p1,maintainer,\nu2,p2,,\n",
    "outcomes.csv": "project_id,survived_next_release\np1,1\np2,0\n",
    "teams.csv": "team_id,name,description\nt1,Vision,Images and video\n",
    "team_members.csv": "person_id,team_id\nu1,t1\n",
    "created.csv": "person_id,artifact_id,at\nu1,a1,2024-01-02T03:04:05Z\nu1,a2,\n",
    "derived_from.csv": "artifact_id,source_id\na2,a1\n",
}


def run(neo4j_target, monkeypatch, tmp_path, *args: str) -> Result:
    monkeypatch.setenv("NEO4J_URI", neo4j_target.uri)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_target.password)
    monkeypatch.setenv("MAESTRO_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli.app, list(args))
    finally:
        get_settings.cache_clear()


def exported_part(driver) -> tuple[int, int, str]:
    """Counts and a checksum of what a bundle carries, keyed by ids (element ids change)."""
    nodes, _, _ = driver.execute_query(
        "MATCH (n) WHERE n:Project OR n:Artifact OR n:Person OR n:Team "
        "RETURN labels(n) AS labels, properties(n) AS props"
    )
    rels, _, _ = driver.execute_query(
        "MATCH (s)-[r:USES|MEMBER_OF|CREATED|DERIVED_FROM|IN_TEAM]->(e) "
        "RETURN s.id AS s, e.id AS e, type(r) AS type, properties(r) AS props"
    )
    rows = sorted(json.dumps([sorted(r["labels"]), r["props"]], sort_keys=True, default=str) for r in nodes)
    rows += sorted(json.dumps([r["s"], r["e"], r["type"], r["props"]], sort_keys=True, default=str) for r in rels)
    return len(nodes), len(rels), hashlib.sha256("\n".join(rows).encode()).hexdigest()


def test_export_then_import_into_a_fresh_graph_gives_the_same_graph(graph, neo4j_target, monkeypatch, tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name, text in BUNDLE.items():
        (source / name).write_text(text)
    imported = run(neo4j_target, monkeypatch, tmp_path, "import", str(source))
    assert imported.exit_code == 0, imported.output
    # Records a bundle has no place for: left out, and said so.
    graph.execute_query("CREATE (:Model {version: 'm1', task: 'outcome'}), (:AuditEvent {action: 'x'})")
    before = exported_part(graph)
    assert before[:2] == (8, 8)

    bundle = tmp_path / "bundle"
    exported = run(neo4j_target, monkeypatch, tmp_path, "export", str(bundle))
    assert exported.exit_code == 0, exported.output
    assert "model versions and their predictions" in exported.output and "audit events" in exported.output
    assert sorted(p.name for p in bundle.iterdir()) == sorted(BUNDLE)
    assert all(p.stat().st_mode & 0o077 == 0 for p in bundle.iterdir())

    wipe(graph)
    migrations.migrate(graph, "neo4j")
    reimported = run(neo4j_target, monkeypatch, tmp_path, "import", str(bundle))
    assert reimported.exit_code == 0, reimported.output
    assert "rejected" not in reimported.output.split("rows in")[-1]
    assert exported_part(graph) == before

    again = tmp_path / "again"
    assert run(neo4j_target, monkeypatch, tmp_path, "export", str(again)).exit_code == 0
    for name in BUNDLE:
        assert (again / name).read_bytes() == (bundle / name).read_bytes(), f"{name} differs between exports"


def test_export_refuses_a_folder_that_holds_files(graph, neo4j_target, monkeypatch, tmp_path):
    target = tmp_path / "taken"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    refused = run(neo4j_target, monkeypatch, tmp_path, "export", str(target))
    assert refused.exit_code == 2
    assert "not an empty folder" in refused.output
    assert sorted(p.name for p in Path(target).iterdir()) == ["notes.txt"]
