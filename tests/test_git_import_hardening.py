"""`import-git` on repositories written to abuse it: names that make no id, a manifest that
would flood the graph, and Co-authored-by trailers that would make strangers maintainers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from conftest import count, data
from test_git_import import RepoBuilder, rows
from typer.testing import CliRunner

from maestro_graph.domain import hash_email, valid_id
from maestro_graph.ingest.git.ids import id_part
from maestro_graph.ingest.git.importer import MAX_ARTIFACTS_PER_FILE, import_repositories
from maestro_graph.ingest.git.repository import Repository, remote_key
from maestro_graph.ingest.git.roles import Activity, derive_roles
from maestro_graph.ingest.manifests import MAX_LIBRARIES_PER_MANIFEST, parse_manifest

ANN = ("Ann", "ann@example.org")
BOB = ("Bob", "bob@example.org")


def person_id(email: str) -> str:
    return f"git-{hash_email(email)[:24]}"


# --- ids ---------------------------------------------------------------------------------


def test_names_with_spaces_and_control_characters_make_valid_ids():
    for name in ("my package", "tab\there", "new\nline", "nul\x00", "50%", "é-ok", " edge "):
        made = id_part(name)
        assert valid_id(made) == made, name
    # Nothing the id rule accepts is touched, and `%` is encoded so that two names never meet.
    assert id_part("@scope/pkg.name-1_é") == "@scope/pkg.name-1_é"
    assert (id_part("a b"), id_part("a%20b")) == ("a%20b", "a%2520b")
    spaced = parse_manifest("package.json", json.dumps({"dependencies": {"my package": "1.0", "ok": "2.0"}}))
    assert [d.artifact_id for d in spaced.dependencies] == ["pkg:npm/my%20package", "pkg:npm/ok"]
    poetry = parse_manifest("pyproject.toml", '[tool.poetry.dependencies]\n"x\\u0001y" = "*"\n')
    assert [d.artifact_id for d in poetry.dependencies] == ["pkg:pypi/x%01y"]


def test_a_name_too_long_for_an_id_is_reported_not_written():
    result = parse_manifest("package.json", json.dumps({"dependencies": {"a" * 300: "1.0", "ok": "2.0"}}))
    assert [d.name for d in result.dependencies] == ["ok"]
    assert result.problems == ["package.json: npm package name '" + "a" * 60 + "' is empty or too long for an id"]


def test_repository_ids_from_remotes_and_folders_with_spaces():
    assert (
        remote_key("git@github.com:acme/my repo.git")
        == remote_key("https://github.com/acme/my%20repo")
        == "github.com/acme/my repo"
    )
    remote = Repository(Path("/x"), False, "h", "github.com/acme/my repo", "my repo")
    assert remote.key == "github.com/acme/my%20repo"
    local = Repository(Path("/x"), False, "h", None, "my\trepo", root="0123456789abcdef")
    assert local.key == "local/my%09repo@0123456789ab"


def test_imported_ids_can_be_addressed_and_deleted_through_the_api(graph, client, tmp_path):
    repo = RepoBuilder(tmp_path / "my ml repo")
    repo.write("package.json", json.dumps({"dependencies": {"left pad": "1.0.0"}}))
    repo.write("data/train set.csv.dvc", "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  path: train set.csv\n")
    repo.commit("start", ANN, "2025-02-03T10:00:00Z")
    (report,) = import_repositories(graph, "neo4j", [repo.path])
    assert report.project_id == "my-ml-repo" and report.repository_id.startswith("local/my%20ml%20repo@")
    ids = [
        r["id"]
        for r in rows(
            graph,
            "MATCH (p:Project {id: $p})-[:USES|HAS_REPOSITORY]->(n) RETURN n.id AS id UNION RETURN $p AS id",
            p=report.project_id,
        )
    ]
    assert len(ids) == 4 and all(valid_id(i) == i for i in ids), ids
    library, dvc = "pkg:npm/left%20pad", f"dvc:{report.repository_id}/data/train%20set.csv"
    assert {library, dvc} <= set(ids)
    for artifact_id in (library, dvc):
        found = data(client, "query($id: ID!) { artifact(id: $id) { id } }", {"id": artifact_id})
        assert found == {"artifact": {"id": artifact_id}}
        deleted = data(client, "mutation($id: ID!) { deleteArtifact(id: $id) { id } }", {"id": artifact_id})
        assert deleted == {"deleteArtifact": {"id": artifact_id}}
    assert count(graph, "MATCH (a:Artifact) WHERE a.id IN $ids RETURN count(a)", ids=[library, dvc]) == 0


# --- what one manifest may add ---------------------------------------------------------------


def test_one_manifest_adds_at_most_its_cap():
    names = [f"lib{i}" for i in range(MAX_LIBRARIES_PER_MANIFEST + 7)]
    text = "[project]\nname = 'flood'\ndependencies = [" + ", ".join(f'"{n}"' for n in names) + ', "lib0>=1"]\n'
    result = parse_manifest("pyproject.toml", text)
    # The first ones are kept, a library already kept may be declared again, the rest are counted.
    assert len({d.name for d in result.dependencies}) == MAX_LIBRARIES_PER_MANIFEST
    assert [d.constraint for d in result.dependencies if d.name == "lib0"] == [None, ">=1"]
    assert len(result.left_out) == 7
    assert result.problems == [
        f"pyproject.toml: names {MAX_LIBRARIES_PER_MANIFEST + 7} libraries; "
        f"only the first {MAX_LIBRARIES_PER_MANIFEST} are imported"
    ]


def test_a_flooding_manifest_is_cut_and_the_cut_reported(graph, neo4j_target, tmp_path, monkeypatch):
    from maestro_graph import cli
    from maestro_graph.config import get_settings

    repo = RepoBuilder(tmp_path / "flood")
    over = MAX_LIBRARIES_PER_MANIFEST + 25
    repo.write(
        "pyproject.toml",
        "[project]\nname = 'flood'\ndependencies = [" + ", ".join(f'"lib{i}"' for i in range(over)) + "]\n",
    )
    repo.write("requirements.txt", "numpy\n")
    calls = "".join(f'load_dataset("org/set{i}")\n' for i in range(MAX_ARTIFACTS_PER_FILE + 3))
    repo.write("src/load.py", "from datasets import load_dataset\n" + calls)
    repo.commit("flood", ANN, "2025-02-03T10:00:00Z")
    monkeypatch.setenv("NEO4J_URI", neo4j_target.uri)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_target.password)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["import-git", str(repo.path)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    printed = " ".join(result.output.split())  # however the console wrapped it
    assert "28 artifacts left out" in printed
    assert f"pyproject.toml: names {over} libraries; only the first {MAX_LIBRARIES_PER_MANIFEST}" in printed
    assert f"src/load.py: refers to {MAX_ARTIFACTS_PER_FILE + 3} models and datasets" in printed
    used = "MATCH (:Project {id: 'flood'})-[:USES]->(a:Artifact) WHERE a.id STARTS WITH $prefix RETURN count(a)"
    assert count(graph, used, prefix="pkg:pypi/lib") == MAX_LIBRARIES_PER_MANIFEST
    assert count(graph, used, prefix="pkg:pypi/numpy") == 1  # other manifests are read as before
    assert count(graph, used, prefix="hf:dataset/org/set") == MAX_ARTIFACTS_PER_FILE


# --- roles from trailers ------------------------------------------------------------------------


def test_people_known_only_from_trailers_are_never_core():
    when = datetime(2025, 3, 1, tzinfo=UTC)  # dates play no part in the roles
    roles = derive_roles(
        [
            Activity("ann", 5, 5, when, when),
            Activity("bob", 1, 1, when, when),
            Activity("mallory", 50, 50, when, when, coauthor_only=True),
        ]
    )
    assert roles == {"ann": "maintainer", "bob": "contributor", "mallory": "contributor"}


def test_trailers_give_no_destructive_role(graph, tmp_path):
    repo = RepoBuilder(tmp_path / "trailers")
    for day in range(1, 6):
        repo.write("app.py", f"x = {day}\n")
        # Anyone who can push may name anyone: Mallory is named on more commits than anyone wrote.
        repo.commit(
            f"change {day}\n\nCo-authored-by: Mallory <mallory@example.org>\n"
            f"Co-authored-by: Mallory Again <mallory+2@example.org>\nCo-authored-by: Bob <bob@example.org>",
            ANN,
            f"2025-03-0{day}T10:00:00Z",
        )
    repo.write("README.md", "hi\n")
    repo.commit("readme", BOB, "2025-03-06T10:00:00Z")
    import_repositories(graph, "neo4j", [repo.path])
    members = rows(
        graph,
        "MATCH (h:Person)-[m:MEMBER_OF]->(:Project {id: 'trailers'}) RETURN h.id AS id, "
        "m.roles AS roles, m.commits AS commits",
    )
    assert sorted(members, key=lambda m: m["id"]) == sorted(
        [
            {"id": person_id("ann@example.org"), "roles": ["maintainer"], "commits": 5},
            # Bob wrote a commit, so his five trailers count for him: 6 of Ann and Bob's 11 make him core.
            {"id": person_id("bob@example.org"), "roles": ["maintainer"], "commits": 6},
            {"id": person_id("mallory@example.org"), "roles": ["contributor"], "commits": 5},
            {"id": person_id("mallory+2@example.org"), "roles": ["contributor"], "commits": 5},
        ],
        key=lambda m: m["id"],
    )
