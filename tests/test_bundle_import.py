"""The CSV bundle importer against the real Neo4j: exact counts, idempotence, bad rows
reported by file and line without stopping the good ones."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from conftest import count, wipe
from typer.testing import CliRunner

from maestro_graph.ingest.bundle_files import BundleError
from maestro_graph.ingest.bundle_import import import_bundle

FILES = {
    "projects": "project_id,name,section,tags,description\n"
    'src:a,alpha,games,"game::strategy, role::program",An alpha game\n'
    "src:b,beta,libs,,Beta library\n"
    "src:c,gamma,libs,role::program,\n"
    ",nameless-id,libs,,row with no id\n"
    "src:d,,libs,,row with no name\n",
    "artifacts": "artifact_id,name,section,description\n"
    "art:x,x,libs,X library\n"
    "art:y,y,libs,Y library\n"
    "art:z,z,data,Z data\n",
    "people": "person_id,kind\npa,person\npb,person\npt,team\npbad,robot\n",
    "uses": "project_id,artifact_id,kind\n"
    "src:a,art:x,depends\n"
    "src:a,art:y,depends\n"
    "src:a,art:x,recommends\n"
    "src:b,art:x,depends\n"
    "src:ghost,art:x,depends\n"
    "src:c,art:nope,depends\n",
    "members": "person_id,project_id,role\n"
    "pa,src:a,maintainer\npb,src:a,uploader\npt,src:b,maintainer\npa,src:b,janitor\nnobody,src:c,maintainer\n",
    "outcomes": "project_id,survived_next_release\nsrc:a,1\nsrc:b,0\nsrc:c,maybe\nsrc:ghost,1\n",
}


def write_bundle(folder: Path, compress: bool) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for stem, text in FILES.items():
        if compress:
            with gzip.open(folder / f"{stem}.csv.gz", "wt", encoding="utf-8") as handle:
                handle.write(text)
        else:
            (folder / f"{stem}.csv").write_text(text, encoding="utf-8")
    return folder


def graph_counts(driver) -> dict[str, int]:
    return {
        "Project": count(driver, "MATCH (n:Project) RETURN count(n)"),
        "Artifact": count(driver, "MATCH (n:Artifact) RETURN count(n)"),
        "Person": count(driver, "MATCH (n:Person) RETURN count(n)"),
        "USES": count(driver, "MATCH ()-[r:USES]->() RETURN count(r)"),
        "MEMBER_OF": count(driver, "MATCH ()-[r:MEMBER_OF]->() RETURN count(r)"),
        "labelled": count(driver, "MATCH (n:Project) WHERE n.success IS NOT NULL RETURN count(n)"),
    }


EXPECTED = {"Project": 3, "Artifact": 3, "Person": 3, "USES": 3, "MEMBER_OF": 3, "labelled": 2}


@pytest.mark.parametrize("compress", [True, False], ids=["csv.gz", "csv"])
def test_import_writes_good_rows_and_reports_bad_ones(graph, tmp_path, compress):
    wipe(graph)
    report = import_bundle(graph, "neo4j", write_bundle(tmp_path / "bundle", compress), batch_size=2)
    assert graph_counts(graph) == EXPECTED
    suffix = ".csv.gz" if compress else ".csv"
    reasons = {(r.file, r.line): r.reason for r in report.rejections}
    assert reasons == {
        (f"projects{suffix}", 5): "project_id: must be a non-empty string",
        (f"projects{suffix}", 6): "name: must be a non-empty string",
        (f"people{suffix}", 5): "kind: must be one of person, team (got 'robot')",
        (f"uses{suffix}", 6): "unknown project_id 'src:ghost'",
        (f"uses{suffix}", 7): "unknown artifact_id 'art:nope'",
        (
            f"members{suffix}",
            5,
        ): "role: must be one of owner, maintainer, uploader, contributor, viewer (got 'janitor')",
        (f"members{suffix}", 6): "unknown person_id 'nobody'",
        (f"outcomes{suffix}", 4): "survived_next_release: must be 0 or 1 (got 'maybe')",
        (f"outcomes{suffix}", 5): "unknown project_id 'src:ghost'",
    }
    uses = report.files[f"uses{suffix}"]
    assert (uses.read, uses.written, uses.rejected) == (6, 4, 2)


def test_values_land_as_documented(graph, tmp_path):
    wipe(graph)
    import_bundle(graph, "neo4j", write_bundle(tmp_path / "bundle", True))
    records, _, _ = graph.execute_query(
        "MATCH (p:Project {id: 'src:a'}) RETURN p.tags AS tags, p.section AS section, p.success AS success"
    )
    assert records[0].data() == {"tags": ["game::strategy", "role::program"], "section": "games", "success": 1}
    records, _, _ = graph.execute_query(
        "MATCH (:Project {id: 'src:a'})-[u:USES]->(:Artifact {id: 'art:x'}) RETURN u.kinds AS kinds"
    )
    assert records[0]["kinds"] == ["depends", "recommends"]
    records, _, _ = graph.execute_query("MATCH (p:Person {id: 'pt'}) RETURN p.kind AS kind")
    assert records[0]["kind"] == "team"
    records, _, _ = graph.execute_query("MATCH (p:Project {id: 'src:c'}) RETURN p.success AS success")
    assert records[0]["success"] is None


def test_second_import_adds_nothing(graph, tmp_path):
    wipe(graph)
    bundle = write_bundle(tmp_path / "bundle", True)
    import_bundle(graph, "neo4j", bundle)
    first = graph_counts(graph)
    import_bundle(graph, "neo4j", bundle)
    assert graph_counts(graph) == first == EXPECTED


def test_missing_required_column_fails_before_any_write(graph, tmp_path):
    wipe(graph)
    bundle = write_bundle(tmp_path / "bundle", False)
    (bundle / "uses.csv").write_text("project_id,artefact\nsrc:a,art:x\n", encoding="utf-8")
    with pytest.raises(BundleError, match=r"uses\.csv:1: missing column"):
        import_bundle(graph, "neo4j", bundle)
    assert count(graph, "MATCH (n) RETURN count(n)") == 0


def test_folder_without_bundle_files_is_an_error(graph, tmp_path):
    with pytest.raises(BundleError, match="holds none of"):
        import_bundle(graph, "neo4j", tmp_path)


def test_import_command_prints_report(graph, neo4j_target, tmp_path, monkeypatch):
    from maestro_graph import cli
    from maestro_graph.config import get_settings

    wipe(graph)
    monkeypatch.setenv("NEO4J_URI", neo4j_target.uri)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_target.password)
    get_settings.cache_clear()
    rejects = tmp_path / "rejects.csv"
    try:
        result = CliRunner().invoke(
            cli.app, ["import", str(write_bundle(tmp_path / "b", True)), "--rejects", str(rejects)]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "rows/s" in result.output and "unknown project_id 'src:ghost'" in result.output
    assert len(rejects.read_text().splitlines()) == 1 + 9
    assert graph_counts(graph) == EXPECTED
