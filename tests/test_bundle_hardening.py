"""The CSV importer against careless and hostile bundles: a bundle that cannot be read
changes nothing, every bad row is one rejection with file, line and reason, and no
refused file's content is echoed anywhere."""

from __future__ import annotations

import gzip
import tracemalloc
from pathlib import Path

import pytest
from conftest import count, wipe
from typer.testing import CliRunner

from maestro_graph.ingest.bundle_files import MAX_RECORD_CHARS, BundleError, BundleFile
from maestro_graph.ingest.bundle_import import import_bundle

PROJECT_HEADER = "project_id,name,section,description\n"
# Enough rows to span many read-ahead blocks and many write batches: the old importer had
# written the first batches by the time it met a bad byte this far down.
MANY = 3000
SECRET = "s3cret-first-line-do-not-echo"


def write_bundle(folder: Path, files: dict[str, str | bytes], compress: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for stem, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        if compress:
            (folder / f"{stem}.csv.gz").write_bytes(gzip.compress(data))
        else:
            (folder / f"{stem}.csv").write_bytes(data)
    return folder


def many_projects(prefix: str = "many") -> str:
    return PROJECT_HEADER + "".join(f"{prefix}:{i},project {i},libs,row {i}\n" for i in range(MANY))


def node_counts(driver) -> dict[str, int]:
    """What a bundle can write (the command also records applied migrations, as nodes of their own)."""
    return {
        "nodes": count(driver, "MATCH (n) WHERE n:Project OR n:Artifact OR n:Person RETURN count(n)"),
        "edges": count(driver, "MATCH ()-[r]->() RETURN count(r)"),
        "labelled": count(driver, "MATCH (n:Project) WHERE n.success IS NOT NULL RETURN count(n)"),
    }


@pytest.fixture
def populated(graph, tmp_path):
    """A graph that already holds a small bundle; tests compare its counts before and after."""
    wipe(graph)
    import_bundle(
        graph,
        "neo4j",
        write_bundle(
            tmp_path / "base",
            {
                "projects": PROJECT_HEADER + "base:a,alpha,libs,\nbase:b,beta,libs,\n",
                "artifacts": "artifact_id,name\nbase:x,x\n",
                "uses": "project_id,artifact_id\nbase:a,base:x\n",
            },
        ),
    )
    before = node_counts(graph)
    assert before == {"nodes": 3, "edges": 1, "labelled": 0}
    return before


def reasons(report) -> dict[tuple[str, int], str]:
    return {(r.file, r.line): r.reason for r in report.rejections}


# --- a bundle that cannot be read changes nothing ---------------------------------------


@pytest.mark.parametrize("compress", [False, True], ids=["csv", "csv.gz"])
def test_a_byte_that_is_not_utf8_late_in_a_file_refuses_the_bundle_before_any_write(
    graph, populated, tmp_path, compress
):
    bad_line = 2 + MANY  # header, MANY good rows, then the bad one
    projects = many_projects().encode() + b"bad:1,caf\xe9 " + SECRET.encode() + b",libs,\n" + b"late:1,late,libs,\n"
    bundle = write_bundle(
        tmp_path / "bundle",
        {
            "artifacts": "artifact_id,name\nnew:x,x\n",  # a good file: not written either
            "projects": projects,
        },
        compress,
    )
    suffix = ".csv.gz" if compress else ".csv"
    with pytest.raises(BundleError) as refused:
        import_bundle(graph, "neo4j", bundle, batch_size=100)
    assert str(refused.value) == f"projects{suffix}:{bad_line}: is not UTF-8 text; nothing was imported"
    assert SECRET not in str(refused.value)
    assert node_counts(graph) == populated


def test_a_missing_column_in_the_last_file_refuses_the_bundle_without_quoting_its_header(graph, populated, tmp_path):
    bundle = write_bundle(
        tmp_path / "bundle",
        {
            "projects": many_projects(),
            "outcomes": f"project_id,{SECRET}\nmany:1,1\n",
        },
    )
    with pytest.raises(BundleError) as refused:
        import_bundle(graph, "neo4j", bundle, batch_size=100)
    assert str(refused.value) == "outcomes.csv:1: missing column(s) survived_next_release; nothing was imported"
    assert node_counts(graph) == populated


def test_a_link_to_another_file_is_refused_without_echoing_that_file(graph, populated, tmp_path):
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text(f"{SECRET}\nsecond line\n")
    bundle = write_bundle(tmp_path / "bundle", {"artifacts": "artifact_id,name\nnew:x,x\n"})
    (bundle / "projects.csv").symlink_to(elsewhere)
    with pytest.raises(BundleError) as refused:
        import_bundle(graph, "neo4j", bundle)
    message = str(refused.value)
    assert message.startswith("projects.csv: is a symbolic link")
    assert SECRET not in message and "second line" not in message
    assert node_counts(graph) == populated


def test_a_link_is_refused_even_to_a_well_formed_bundle_file(graph, populated, tmp_path):
    elsewhere = write_bundle(tmp_path / "other", {"projects": PROJECT_HEADER + "link:a,a,libs,\n"})
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "projects.csv").symlink_to(elsewhere / "projects.csv")
    with pytest.raises(BundleError, match="is a symbolic link"):
        import_bundle(graph, "neo4j", bundle)
    assert node_counts(graph) == populated


@pytest.mark.parametrize("make", ["folder", "corrupt gzip", "truncated gzip", "empty"])
def test_a_file_that_cannot_be_read_refuses_the_bundle(graph, populated, tmp_path, make):
    bundle = write_bundle(tmp_path / "bundle", {"artifacts": "artifact_id,name\nnew:x,x\n"})
    expected = {
        "folder": "people.csv: is not a regular file",
        "corrupt gzip": "people.csv.gz: is not valid gzip data",
        "truncated gzip": "people.csv.gz: ends in the middle of its gzip data after line ",
        "empty": "people.csv:1: no header row",
    }[make]
    if make == "folder":
        (bundle / "people.csv").mkdir()
    elif make == "corrupt gzip":
        (bundle / "people.csv.gz").write_bytes(SECRET.encode() + b"\n")  # gzip's own error quotes these bytes
    elif make == "truncated gzip":
        rows = "person_id\n" + "".join(f"p{i:06d}\n" for i in range(50_000))
        data = gzip.compress(rows.encode())
        (bundle / "people.csv.gz").write_bytes(data[: len(data) // 2])
    else:
        (bundle / "people.csv").write_bytes(b"")
    with pytest.raises(BundleError) as refused:
        import_bundle(graph, "neo4j", bundle)
    assert str(refused.value).startswith(expected)
    assert str(refused.value).endswith("; nothing was imported")
    assert SECRET not in str(refused.value) and "s3cret" not in repr(refused.value)
    assert node_counts(graph) == populated


# --- bad rows are rejected one by one, the rest written -------------------------------------


def test_numbers_and_timestamps_the_graph_cannot_hold_are_rejected_rows(graph, populated, tmp_path):
    bundle = write_bundle(
        tmp_path / "bundle",
        {
            "projects": PROJECT_HEADER + "new:a,a,libs,\n",
            "artifacts": "artifact_id,name\nnew:x,x\nnew:y,y\nnew:z,z\nnew:w,w\nnew:v,v\nnew:u,u\nnew:t,t\n",
            "uses": "project_id,artifact_id,count,used_at\n"
            "new:a,new:x,²,\n"  # isdigit() says yes, int() raises
            "new:a,new:y,١٢,\n"  # int() would read it as 12
            "new:a,new:z,9223372036854775808,\n"  # one past Neo4j's integers
            "new:a,new:w,3,2024-01-01T00:00:00+23:00\n"  # Neo4j offsets end at ±18:00
            "new:a,new:v,3,2024-01-01T00:00:00+05:30:15\n"
            "new:a,new:u,3,0001-01-01T00:00:00+01:00\n"  # before year 1 in UTC
            "new:a,new:t,0012,2024-01-01T00:00:00+18:00\n",
        },
    )
    report = import_bundle(graph, "neo4j", bundle, batch_size=2)
    digits = "must be a non-negative integer in digits 0-9, at most 9223372036854775807"
    assert reasons(report) == {
        ("uses.csv", 2): f"count: {digits} (got '²')",
        ("uses.csv", 3): f"count: {digits} (got '١٢')",
        ("uses.csv", 4): f"count: {digits} (got '9223372036854775808')",
        ("uses.csv", 5): "used_at: has a UTC offset outside ±18:00 or not in whole minutes "
        "(got '2024-01-01T00:00:00+23:00')",
        ("uses.csv", 6): "used_at: has a UTC offset outside ±18:00 or not in whole minutes "
        "(got '2024-01-01T00:00:00+05:30:15')",
        ("uses.csv", 7): "used_at: is out of range (got '0001-01-01T00:00:00+01:00')",
    }
    records, _, _ = graph.execute_query(
        "MATCH (:Project {id: 'new:a'})-[u:USES]->(:Artifact {id: 'new:t'}) RETURN u.count AS count"
    )
    assert records[0]["count"] == 12
    assert count(graph, "MATCH (:Project {id: 'new:a'})-[u:USES]->() RETURN count(u)") == 1


def test_indexed_text_longer_than_an_index_entry_is_a_rejected_row(graph, populated, tmp_path):
    bundle = write_bundle(
        tmp_path / "bundle",
        {
            "projects": PROJECT_HEADER + f"new:a,a,{'s' * 10_000},\nnew:b,b,libs,\n",
            "people": f"person_id,name\nnew:p,{'n' * 5_000}\nnew:q,Q\n",
        },
    )
    report = import_bundle(graph, "neo4j", bundle, batch_size=10)
    assert reasons(report) == {
        ("projects.csv", 2): "section: must be at most 300 characters",
        ("people.csv", 2): "name: must be at most 300 characters",
    }
    assert count(graph, "MATCH (n) WHERE n.id IN ['new:b', 'new:q'] RETURN count(n)") == 2


def test_a_field_over_the_csv_limit_is_a_rejected_row_and_the_next_rows_keep_their_lines(graph, populated, tmp_path):
    huge = "x" * (MAX_RECORD_CHARS + 10)
    bundle = write_bundle(
        tmp_path / "bundle",
        {
            "projects": PROJECT_HEADER
            + "new:a,a,libs,before\n"  # line 2
            + f"new:b,b,libs,{huge}\n"  # line 3: one long unquoted line
            + f'new:c,c,libs,"{huge[:70_000]}\n{huge[:70_000]}\n"\n'  # lines 4-6: a long quoted field
            + "new:d,d,libs,after\n"  # line 7
            + f'new:e,e,libs,"never closed\n{SECRET},x,libs,\n',  # lines 8-9
            "artifacts": "artifact_id,name\nnew:x,x\n",
        },
    )
    report = import_bundle(graph, "neo4j", bundle, batch_size=2)
    assert reasons(report) == {
        ("projects.csv", 3): f"row is longer than {MAX_RECORD_CHARS} characters",
        ("projects.csv", 4): f"row is longer than {MAX_RECORD_CHARS} characters (lines 4-6)",
        ("projects.csv", 8): "a quoted field is never closed",
    }
    ids = graph.execute_query("MATCH (p:Project) WHERE p.id STARTS WITH 'new:' RETURN p.id AS id ORDER BY id")[0]
    assert [record["id"] for record in ids] == ["new:a", "new:d"]
    assert report.files["projects.csv"].read == 5 and report.files["artifacts.csv"].written == 1


def test_an_endless_line_is_skipped_in_bounded_memory(tmp_path):
    path = tmp_path / "projects.csv"
    line_chars = 8 * 1024 * 1024
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(PROJECT_HEADER + "new:a,a,libs,")
        for _ in range(line_chars // 65_536):
            handle.write("y" * 65_536)
        handle.write("\nnew:b,b,libs,\n")
    tracemalloc.start()
    try:
        with BundleFile(path) as source:
            records = [(record.line, record.problem) for record in source.records(("project_id",))]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert records == [(2, f"row is longer than {MAX_RECORD_CHARS} characters"), (3, None)]
    # The line is 8 MiB; reading it whole (as a plain line iterator would) costs at least that.
    assert peak < line_chars // 4, f"peak {peak} bytes"


def test_a_repeated_id_keeps_the_first_row_and_rejects_the_others(graph, populated, tmp_path):
    bundle = write_bundle(
        tmp_path / "bundle",
        {
            "projects": PROJECT_HEADER + "new:a,first,libs,\nnew:b,b,libs,\nnew:a,second,games,\n new:a ,third,x,\n",
            "people": "person_id,kind\nnew:p,person\nnew:p,team\n",
            "outcomes": "project_id,survived_next_release\nnew:a,1\nnew:b,1\nnew:a,0\n",
            "members": "person_id,project_id,role\nnew:p,new:a,maintainer\nnew:p,new:a,uploader\n",
        },
    )
    report = import_bundle(graph, "neo4j", bundle)
    assert reasons(report) == {
        ("projects.csv", 4): "duplicate project_id 'new:a' (first on line 2, which is kept)",
        ("projects.csv", 5): "duplicate project_id 'new:a' (first on line 2, which is kept)",
        ("people.csv", 3): "duplicate person_id 'new:p' (first on line 2, which is kept)",
        ("outcomes.csv", 4): "duplicate project_id 'new:a' (first on line 2, which is kept)",
    }
    records, _, _ = graph.execute_query(
        "MATCH (p:Project {id: 'new:a'})<-[m:MEMBER_OF]-(h:Person {id: 'new:p'}) "
        "RETURN p.name AS name, p.section AS section, p.success AS success, h.kind AS kind, m.roles AS roles"
    )
    # An edge file may name one pair on several rows: each adds its role.
    assert records[0].data() == {
        "name": "first",
        "section": "libs",
        "success": 1,
        "kind": "person",
        "roles": ["maintainer", "uploader"],
    }
    projects = report.files["projects.csv"]
    assert (projects.read, projects.written, projects.rejected) == (4, 2, 2)


def test_a_row_that_is_first_rejected_does_not_claim_its_id(graph, populated, tmp_path):
    bundle = write_bundle(tmp_path / "bundle", {"projects": PROJECT_HEADER + "new:a,,libs,\nnew:a,named,libs,\n"})
    report = import_bundle(graph, "neo4j", bundle)
    assert reasons(report) == {("projects.csv", 2): "name: must be a non-empty string"}
    assert count(graph, "MATCH (p:Project {id: 'new:a', name: 'named'}) RETURN count(p)") == 1


# --- the command ------------------------------------------------------------------------


def run_import(neo4j_target, monkeypatch, *args: str):
    from maestro_graph import cli
    from maestro_graph.config import get_settings

    monkeypatch.setenv("NEO4J_URI", neo4j_target.uri)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_target.password)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli.app, ["import", *args])
    finally:
        get_settings.cache_clear()


def test_the_command_refuses_an_unreadable_bundle_with_exit_2_and_no_traceback(
    graph, populated, neo4j_target, monkeypatch, tmp_path
):
    bundle = write_bundle(
        tmp_path / "bundle",
        {
            "projects": many_projects().encode() + b"bad:1,\xff" + SECRET.encode() + b",libs,\n",
        },
    )
    result = run_import(neo4j_target, monkeypatch, str(bundle))
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert f"import refused: projects.csv:{MANY + 2}: is not UTF-8 text; nothing was imported" in result.output
    assert "Traceback" not in result.output and SECRET not in result.output
    assert node_counts(graph) == populated


def test_the_command_prints_rejected_values_as_text(graph, populated, neo4j_target, monkeypatch, tmp_path):
    # Reasons quote row values; a value that looks like console markup must neither crash nor vanish.
    bundle = write_bundle(tmp_path / "bundle", {"people": "person_id,kind\nnew:p,[/bold]\nnew:q,person\n"})
    rejects = tmp_path / "rejects.csv"
    result = run_import(neo4j_target, monkeypatch, str(bundle), "--rejects", str(rejects))
    assert result.exit_code == 0, result.output
    assert "rejected people.csv:2: kind: must be one of person, team (got '[/bold]')" in result.output
    rejected = "people.csv,2,\"kind: must be one of person, team (got '[/bold]')\""
    assert rejects.read_text().splitlines()[1:] == [rejected]
