"""`import --initial`: one bundle (every file kind, bad rows among good ones) imported by `import`
into the test database and by `import --initial` into a managed Neo4j of the module's own (the
offline import stops its server and replaces its store, so never the shared test server) gives
the same graph, node for node, edge for edge, property for property and type for type, and the
same report; a graph that holds data, a bundle that cannot be read and an external Neo4j are
refused with nothing stopped or changed."""

from __future__ import annotations

import csv
import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import neo4j.time
import pytest
from conftest import cli_on, spare_graph, wipe
from typer.testing import CliRunner

from maestro_graph import cli
from maestro_graph.config import get_settings
from maestro_graph.db import migrations
from maestro_graph.db.connection import open_driver
from maestro_graph.ingest.admin_csv import ARRAY_DELIMITER
from maestro_graph.ingest.bundle_import import import_bundle
from maestro_graph.observability import batch

# Every timestamp a write of this module sets is later than this; every one in the bundle is earlier.
WRITTEN_AFTER = datetime.now(UTC) - timedelta(seconds=1)
US = ARRAY_DELIMITER  # in a tag and a usage kind: a list the importer's CSV cannot hold
LONG = "x" * 140_000

BUNDLE = {
    "projects.csv": (
        "project_id,name,section,tags,description,status,created_at\n"
        'p1,Alpha,ml,"vision, nlp, vision","A ""quoted"" description, with comma",active,2024-03-01T10:00:00+02:00\n'
        'p2,Beta,,,"two\nlines\\back\r\nand a CRLF",,\n'
        "p3,Gamma,ml,tag;semi, plain ,ARCHIVED,2024-01-01\n"
        "p3,Gamma again,,,,,\n"
        f"p4,Delta,,odd{US}tag,,,2024-05-05T05:05:05.123456Z\n"
        "bad id,Bad,,,,,\n"
        "p5,Bad status,,,,nonsense,\n"
        "p6,Bad time,,,,,2024-13-01\n"
        "p7,Late offset,,,,,2024-01-01T00:00:00+19:00\n"
    ),
    "artifacts.csv": (
        "artifact_id,name,kind,section,description,version,uri,created_at\n"
        "a1,Model A,model,,a model,1.0,s3://bucket/a1,2023-05-05T00:00:00Z\n"
        "a2,Data B,,,,,,\n"
        "a3,Lib C,LIBRARY,libs,,,,\n"
        "a4,Bad kind,spaceship,,,,,\n"
        'a5,Café ☕ 😀,dataset,,"Ünïcødé, ""quotes"", \ttab",,,\n'
        f"a6,{LONG},model,,,,,\n"
        'a9,"never closed\n'
    ),
    "people.csv": (
        "person_id,kind,name,created_at\n"
        "u1,person,Ann,\n"
        "u2,team,Ops Team,2022-02-02T02:02:02.123456-05:30\n"
        "u3,,,\n"
        "u4,robot,,\n"
    ),
    "uses.csv": (
        "project_id,artifact_id,kind,count,context,used_at\n"
        "p1,a1,depends,3,train,2024-01-10T00:00:00Z\n"
        "p1,a1,recommends,,infer,2024-01-05T00:00:00Z\n"
        "p1,a1,depends,7,,2024-02-01T00:00:00+01:00\n"
        "p1,a2,,,,\n"
        'p1,a2,"with, comma",,,\n'
        f"p2,a3,odd{US}kind,,,\n"
        "p2,a5,suggests,2,,2023-12-31T23:59:59Z\n"
        "p3,a5,,,,\n"
        "p9,a1,depends,,,\n"
        "p1,a9,depends,,,\n"
        "p3,a4,depends,,,\n"
        "p1,a1,depends,-1,,\n"
        "p1,a1,depends,99999999999999999999,,\n"
    ),
    "members.csv": (
        "person_id,project_id,role,since\n"
        "u1,p1,owner,2020-01-01T00:00:00Z\n"
        "u1,p1,maintainer,2019-01-01T00:00:00Z\n"
        "u2,p1,,\n"
        "u3,p2,uploader,\n"
        "u3,p2,uploader,2021-01-01\n"
        "u1,p9,owner,\n"
        "u9,p1,owner,\n"
        "u1,p2,king,\n"
    ),
    "created.csv": (
        "person_id,artifact_id,at\n"
        "u1,a1,\n"
        "u1,a1,2023-01-01T00:00:00Z\n"
        "u2,a2,2023-02-02T00:00:00Z\n"
        "u2,a2,2024-02-02T00:00:00Z\n"
        "u1,a9,\n"
    ),
    "derived_from.csv": "artifact_id,source_id\na1,a2\na1,a2\na2,a2\na1,a99\na99,a1\n",
    "team_members.csv": "person_id,team_id\nu1,t1\nu2,t1\nu2,t2\nu1,t3\nu9,t1\n",
    "outcomes.csv": "project_id,survived_next_release\np1,1\np2,false\np2,1\np9,1\np3,maybe\n",
}
TEAMS = (
    "team_id,name,description,created_at\nt1,Platform,Runs things,\nt2,Research,,2021-01-01T00:00:00Z\nt3,,no name,\n"
)


def write_bundle(folder: Path) -> Path:
    folder.mkdir()
    for name, text in BUNDLE.items():
        (folder / name).write_text(text, encoding="utf-8", newline="")
    with gzip.open(folder / "teams.csv.gz", "wt", encoding="utf-8", newline="") as handle:
        handle.write(TEAMS)
    return folder


@pytest.fixture(scope="module")
def managed(spare_neo4j):
    """The spare managed Neo4j, its database empty."""
    return spare_graph(spare_neo4j)


def _server_pid(data_dir: Path) -> int:
    return int((data_dir / "neo4j" / "neo4j.pid").read_text())


def _value(value, written_after: datetime):
    """A property value with its type; a timestamp of the write itself (not from the bundle)
    only as its type and offset, since two imports run at different moments."""
    if isinstance(value, neo4j.time.DateTime):
        if value.to_native() >= written_after:
            return ("DateTime written at import", value.utcoffset())
        return ("DateTime", value.iso_format(), value.utcoffset())
    if isinstance(value, list):
        return ("list", tuple(_value(item, written_after) for item in value))
    return (type(value).__name__, value)


def graph_dump(driver, written_after: datetime) -> tuple[list, list]:
    """Every node (labels, properties) and relationship (type, endpoints' labels and ids, properties)."""
    nodes, _, _ = driver.execute_query("MATCH (n) RETURN labels(n) AS labels, properties(n) AS props")
    rels, _, _ = driver.execute_query(
        "MATCH (s)-[r]->(e) RETURN type(r) AS type, labels(s) AS sl, s.id AS s, labels(e) AS el, e.id AS e, "
        "properties(r) AS props"
    )

    def props(values: dict) -> list:
        return sorted((key, _value(value, written_after)) for key, value in values.items())

    node_rows = sorted((sorted(r["labels"]), props(r["props"])) for r in nodes)
    rel_rows = sorted((r["type"], sorted(r["sl"]), r["s"], sorted(r["el"]), r["e"], props(r["props"])) for r in rels)
    return node_rows, rel_rows


_RESULTS = ("read", "written", "rejected")


def _rows_counted() -> dict[tuple[str, str], float]:
    return {
        (name, result): batch.REGISTRY.get_sample_value("maestro_import_rows_total", {"file": name, "result": result})
        or 0.0
        for name in [*BUNDLE, "teams.csv.gz"]
        for result in _RESULTS
    }


def test_an_unreadable_bundle_is_refused_before_the_server_stops(managed, monkeypatch, tmp_path):
    data_dir, target = managed
    pid = _server_pid(data_dir)
    bundle = write_bundle(tmp_path / "bundle")
    (bundle / "members.csv").write_bytes(b"person_id,project_id,role\nu1,p1,\xff\xfeowner\n")
    result = cli_on(data_dir, monkeypatch, "import", "--initial", str(bundle), target=target)
    assert result.exit_code == 2, result.output
    assert "members.csv:2: is not UTF-8 text; nothing was imported" in result.output
    assert _server_pid(data_dir) == pid, "the server was never stopped"
    assert not (data_dir / "neo4j" / "initial-import").exists()
    with open_driver(target) as driver:
        assert driver.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"] == 0


def test_initial_import_writes_the_graph_import_writes(managed, graph, neo4j_target, monkeypatch, tmp_path):
    data_dir, target = managed
    bundle = write_bundle(tmp_path / "bundle")

    expected = import_bundle(graph, neo4j_target.database, bundle, batch_size=2)
    before = _rows_counted()
    rejects = tmp_path / "rejects.csv"
    result = cli_on(data_dir, monkeypatch, "import", "--initial", str(bundle), "--rejects", str(rejects), target=target)
    assert result.exit_code == 0, result.output
    assert f"{expected.rows_read} rows in" in result.output

    with rejects.open(newline="", encoding="utf-8") as handle:
        reported = [(row["file"], int(row["line"]), row["reason"]) for row in csv.DictReader(handle)]
    assert reported == [(r.file, r.line, r.reason) for r in expected.rejections]
    assert ("uses.csv", 10, "unknown project_id 'p9'") in reported
    assert ("outcomes.csv", 5, "unknown project_id 'p9'") in reported
    after = _rows_counted()
    counted = {key: after[key] - before[key] for key in after}
    assert counted == {
        (name, result): getattr(report, result) for name, report in expected.files.items() for result in _RESULTS
    }

    with open_driver(target) as offline_driver:
        offline = graph_dump(offline_driver, WRITTEN_AFTER)
    online = graph_dump(graph, WRITTEN_AFTER)
    for offline_rows, online_rows in zip(offline, online, strict=True):
        only_offline = [row for row in offline_rows if row not in online_rows]
        only_online = [row for row in online_rows if row not in offline_rows]
        assert (only_offline, only_online) == ([], [])
    assert offline == online
    # The comparison covers what it should: merged edges, lists the CSV cannot hold, both kinds of timestamps.
    nodes, rels = online
    assert any("Project" in labels and ("tags", ("list", ())) in props for labels, props in nodes)
    uses = {(s, e): dict(props) for rel_type, _, s, _, e, props in rels if rel_type == "USES"}
    assert uses[("p1", "a1")]["kinds"] == ("list", (("str", "depends"), ("str", "recommends")))
    assert uses[("p1", "a2")]["kinds"] == ("list", (("str", "with, comma"),))
    assert uses[("p2", "a3")]["kinds"] == ("list", (("str", f"odd{US}kind"),))
    assert uses[("p1", "a1")]["count"] == ("int", 7)
    created_at = [dict(props)["created_at"][0] for labels, props in nodes if "Project" in labels]
    assert {"DateTime", "DateTime written at import"} <= set(created_at)
    # The server runs again with the schema migrated.
    with open_driver(target) as offline_driver:
        assert migrations.pending(offline_driver, "neo4j") == []


def test_a_graph_that_holds_data_is_refused_and_left_as_it_was(managed, monkeypatch, tmp_path):
    data_dir, target = managed
    with open_driver(target) as driver:
        wipe(driver)
        migrations.migrate(driver, "neo4j")
        driver.execute_query("CREATE (:Project {id: 'kept', name: 'Kept'})")
        before = graph_dump(driver, WRITTEN_AFTER)
    pid = _server_pid(data_dir)
    bundle = write_bundle(tmp_path / "bundle")
    result = cli_on(data_dir, monkeypatch, "import", "--initial", str(bundle), target=target)
    assert result.exit_code == 2, result.output
    assert "not empty (1 nodes)" in result.output
    assert _server_pid(data_dir) == pid
    with open_driver(target) as driver:
        assert graph_dump(driver, WRITTEN_AFTER) == before


def test_an_external_neo4j_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("NEO4J_URI", "neo4j+s://example.databases.neo4j.io")
    monkeypatch.setenv("MAESTRO_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["import", "--initial", str(write_bundle(tmp_path / "bundle"))])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "managed Neo4j only" in result.output
    assert not (tmp_path / "neo4j").exists()
