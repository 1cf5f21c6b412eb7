"""`import-git` on small real repositories built here: several authors, a .mailmap, a
co-author, a bot, every kind of manifest, Hub references and DVC files; the graph is
asserted exactly, then re-imports (unchanged, one new commit, rewritten history, a bare
clone) and the GraphQL fields over the result."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import count, data, error_of

from maestro_graph.domain import hash_email
from maestro_graph.ingest.git.importer import GitImportError, import_repositories

ALICE = hash_email("alice@example.org")
BOB = hash_email("bob@example.org")
CAROL = hash_email("carol@example.org")
ALICE_ID = "u-alice"  # Alice was in the graph before git: she keeps her id and name
BOB_ID, CAROL_ID = f"git-{BOB[:24]}", f"git-{CAROL[:24]}"
PROJECT = "demo-repo"
REMOTE = "github.com/acme/demo-repo"


class RepoBuilder:
    """A git work tree whose commits have fixed authors and dates."""

    def __init__(self, path: Path):
        self.path = path
        path.mkdir(parents=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, env: dict | None = None) -> str:
        # No user or system config: the repository's history must not depend on the machine.
        base = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        base.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, **(env or {}))
        done = subprocess.run(
            ["git", "-c", "commit.gpgsign=false", *args],
            cwd=self.path,
            env=base,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    def write(self, relative: str, content: str) -> None:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")

    def append(self, relative: str, content: str) -> None:
        with open(self.path / relative, "a", encoding="utf-8") as handle:
            handle.write(content)

    def commit(self, message: str, author: tuple[str, str], when: str, amend: bool = False) -> str:
        name, email = author
        env = {
            "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email,
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "GIT_COMMITTER_DATE": when,
        }
        self.git("add", "-A")
        self.git("commit", "-q", *(["--amend", "--reset-author"] if amend else []), "-m", message, env=env)
        return self.git("rev-parse", "HEAD")


NOTEBOOK = (
    json.dumps(
        {
            "cells": [
                {"cell_type": "markdown", "source": ['SentenceTransformer("not/code")']},
                {
                    "cell_type": "code",
                    "source": [
                        "from sentence_transformers import SentenceTransformer\n",
                        'm = SentenceTransformer("sentence-transformers/all-MiniLM-L6-v2")\n',
                        'ds = load_dataset("csv", data_files="x.csv")\n',
                    ],
                },
            ],
            "nbformat": 4,
            "nbformat_minor": 5,
        },
        indent=1,
    )
    + "\n"
)

C3_FILES = {
    "pyproject.toml": '[project]\nname = "demo"\ndependencies = ["pandas>=2.0", "requests"]\n\n'
    '[project.optional-dependencies]\ntest = ["pytest>=8"]\n\n'
    '[tool.poetry.dependencies]\npython = "^3.11"\nfastapi = "^0.110"\n\n'
    '[tool.poetry.group.dev.dependencies]\nruff = {version = "^0.4"}\n',
    "setup.cfg": "[options]\ninstall_requires =\n    numpy>=1.20\n    pyyaml\n",
    "environment.yml": "name: demo\nchannels: [conda-forge]\ndependencies:\n  - python=3.11\n"
    "  - conda-forge::numpy>=1.26\n  - pip\n  - pip:\n      - wandb==0.17.0\n",
    "package.json": json.dumps(
        {
            "name": "demo-ui",
            "dependencies": {"react": "^18.2.0", "@tanstack/Query": "5.0.0"},
            "devDependencies": {"vite": "^5.0.0", "local-lib": "file:../lib"},
        },
        indent=1,
    )
    + "\n",
    "notebooks/explore.ipynb": NOTEBOOK,
    "configs/train.yaml": "model_name_or_path: distilbert-base-uncased\ndataset_name: glue\n"
    "output_dir: outputs/run1\nmodel_name: resnet50\n",
    "data/train.csv.dvc": "outs:\n- md5: 0123456789abcdef0123456789abcdef\n  size: 100\n  path: train.csv\n",
    "dvc.yaml": "stages:\n  train:\n    cmd: python src/train.py\n    deps: [data/train.csv]\n    outs:\n"
    "      - models/model.pt\n",
}


def lines(text: str) -> int:
    return len(text.splitlines())


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> RepoBuilder:
    builder = RepoBuilder(tmp_path_factory.mktemp("git") / "demo-repo")
    # Credentials in a remote URL must never reach the graph.
    builder.git("remote", "add", "origin", "https://ci-user:s3cret-token@github.com/Acme/Demo-Repo.git")
    builder.write(".mailmap", "Alice Smith <alice@example.org> <alice@old.example>\n")
    builder.write(
        "requirements.txt", 'numpy==1.26.4\nScikit_Learn>=1.4  # classic ML\ntorch>=2.1; python_version >= "3.10"\n'
    )
    builder.write(
        "src/train.py",
        "from transformers import AutoModel, AutoTokenizer\n"
        'model = AutoModel.from_pretrained("bert-base-uncased")\n'
        'tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")\n',
    )
    builder.commit("start", ("alice", "alice@old.example"), "2025-01-06T10:00:00+00:00")
    builder.append("src/train.py", 'from datasets import load_dataset\ndata = load_dataset("imdb")\n')
    builder.commit(
        "load data\n\nCo-authored-by: Carol <CAROL@example.org>",
        ("Bob", "bob@example.org"),
        "2025-01-07T10:00:00+00:00",
    )
    for path, content in C3_FILES.items():
        builder.write(path, content)
    builder.commit("manifests", ("Alice Smith", "alice@example.org"), "2025-01-15T10:00:00Z")
    builder.write(
        "requirements.txt", 'numpy==2.0.0\nScikit_Learn>=1.4  # classic ML\ntorch>=2.1; python_version >= "3.10"\n'
    )
    builder.commit(
        "Bump numpy", ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"), "2025-01-16T10:00:00Z"
    )
    builder.append("src/train.py", 'local = AutoModel.from_pretrained("./outputs/checkpoint-500")\n')
    # A co-author written with an address .mailmap maps to Alice: she is credited once.
    builder.commit(
        "fine-tune\n\nCo-authored-by: Al <alice@old.example>\nCo-authored-by: Bob <BOB@example.org>",
        ("Bob", "bob@example.org"),
        "2025-01-16T12:00:00Z",
    )
    return builder


@pytest.fixture(scope="module")
def imported(graph, repo):
    graph.execute_query(
        "CREATE (:Person {id: $id, name: 'Alice (HR)', kind: 'person', email_hash: $hash})", id=ALICE_ID, hash=ALICE
    )
    return import_repositories(graph, "neo4j", [repo.path])


def rows(graph, query: str, **params) -> list[dict]:
    """Records as dicts, Neo4j times as ISO 8601 text."""
    records, _, _ = graph.execute_query(query, params)
    return [
        {
            key: value.to_native().isoformat() if hasattr(value, "to_native") else value
            for key, value in record.data().items()
        }
        for record in records
    ]


def snapshot(graph) -> list:
    """Every node and relationship with its properties, as comparable text."""
    nodes = rows(graph, "MATCH (n) WHERE NOT n:Migration RETURN labels(n) AS l, properties(n) AS p")
    rels = rows(
        graph, "MATCH (a)-[r]->(b) RETURN type(r) AS t, elementId(a) AS a, elementId(b) AS b, properties(r) AS p"
    )
    return sorted(
        repr(
            sorted((k, str(v)) for k, v in {**row, "p": None}.items())
            + sorted((k, str(v)) for k, v in row["p"].items())
        )
        for row in nodes + rels
    )


def metric_values(graph, project: str = PROJECT) -> dict[tuple[str, str], float]:
    found = rows(
        graph,
        "MATCH (:Project {id: $p})-[:HAS_METRIC]->(m:Metric) RETURN m.period AS period, m.name AS name, "
        "m.value AS value, m.id AS id",
        p=project,
    )
    assert all(r["id"] == f"{project}|{r['name']}|{r['period']}" for r in found)
    return {(r["period"], r["name"]): r["value"] for r in found}


def test_first_import_reports_what_it_read(imported):
    (report,) = imported
    assert (report.repository_id, report.project_id, report.mode) == (REMOTE, PROJECT, "full")
    assert (report.commits, report.people, report.libraries, report.models, report.datasets, report.weeks) == (
        5,
        3,
        16,
        4,
        3,
        2,
    )
    assert report.problems == []


def test_people_are_merged_by_mailmap_and_email_and_stored_hashed(imported, graph):
    people = rows(graph, "MATCH (h:Person) RETURN h.id AS id, h.name AS name, h.email_hash AS hash ORDER BY id")
    assert people == sorted(
        [
            {"id": ALICE_ID, "name": "Alice (HR)", "hash": ALICE},
            {"id": BOB_ID, "name": "Bob", "hash": BOB},
            {"id": CAROL_ID, "name": "Carol", "hash": CAROL},
        ],
        key=lambda p: p["id"],
    )
    # No address, and no credential of the remote, anywhere in the graph.
    text = " ".join(snapshot(graph))
    assert "@example.org" not in text and "@old.example" not in text and "s3cret" not in text and "ci-user" not in text


def test_memberships_carry_roles_derived_from_activity(imported, graph):
    members = rows(
        graph,
        "MATCH (h:Person)-[m:MEMBER_OF]->(:Project {id: $p}) RETURN h.id AS id, m.roles AS roles, "
        "m.git_role AS git_role, m.commits AS commits, m.since AS since ORDER BY id",
        p=PROJECT,
    )
    assert members == sorted(
        [
            # Alice 3 and Bob 2 of 6 commit credits make the 80% core; Carol co-authored once.
            {
                "id": ALICE_ID,
                "roles": ["maintainer"],
                "git_role": "maintainer",
                "commits": 3,
                "since": "2025-01-06T10:00:00+00:00",
            },
            {
                "id": BOB_ID,
                "roles": ["maintainer"],
                "git_role": "maintainer",
                "commits": 2,
                "since": "2025-01-07T10:00:00+00:00",
            },
            {
                "id": CAROL_ID,
                "roles": ["contributor"],
                "git_role": "contributor",
                "commits": 1,
                "since": "2025-01-07T10:00:00+00:00",
            },
        ],
        key=lambda m: m["id"],
    )


def test_project_repository_and_commits(imported, graph, repo):
    project = rows(
        graph,
        "MATCH (p:Project {id: $p})-[:HAS_REPOSITORY]->(r:GitRepository) "
        "RETURN p.name AS name, p.created_at AS created, r.id AS repo, r.remote AS remote, "
        "r.head AS head, r.name AS repo_name",
        p=PROJECT,
    )
    assert project == [
        {
            "name": "demo-repo",
            "created": "2025-01-06T10:00:00+00:00",
            "repo": REMOTE,
            "remote": REMOTE,
            "head": repo.git("rev-parse", "HEAD"),
            "repo_name": "demo-repo",
        }
    ]
    commits = rows(
        graph,
        "MATCH (c:Commit)-[:IN]->(:GitRepository {id: $r}) RETURN c.authors AS authors, "
        "c.added AS added, c.deleted AS deleted, size(c.files) AS files ORDER BY c.at",
        r=REMOTE,
    )
    assert commits == [
        {"authors": [ALICE_ID], "added": 7, "deleted": 0, "files": 3},
        {"authors": [BOB_ID, CAROL_ID], "added": 2, "deleted": 0, "files": 1},
        {"authors": [ALICE_ID], "added": sum(lines(c) for c in C3_FILES.values()), "deleted": 0, "files": 8},
        {"authors": [], "added": 1, "deleted": 1, "files": 1},  # the bot's commit counts, but it is nobody
        {"authors": [BOB_ID, ALICE_ID], "added": 1, "deleted": 0, "files": 1},
    ]


def test_dependencies_and_references_become_uses(imported, graph):
    uses = rows(
        graph,
        "MATCH (:Project {id: $p})-[u:USES]->(a:Artifact) RETURN a.id AS id, a.name AS name, a.kind AS kind, "
        "a.version AS version, a.uri AS uri, u.count AS count, u.kinds AS kinds, u.context AS context, "
        "u.constraint AS constraint, u.first_used AS first, u.last_used AS last "
        "ORDER BY id",
        p=PROJECT,
    )
    assert {u["first"] for u in uses} == {u["last"] for u in uses} == {"2025-01-16T12:00:00+00:00"}  # HEAD's time

    def lib(eco, name, constraint, context, kinds=("depends",), n=1, id_name=None):
        return {
            "id": f"pkg:{eco}/{id_name or name}",
            "name": name,
            "kind": "library",
            "version": None,
            "uri": None,
            "count": n,
            "kinds": list(kinds),
            "context": context,
            "constraint": constraint,
        }

    def ref(artifact_id, name, kind, context, kinds=("references",), n=1, uri=None, version=None):
        return {
            "id": artifact_id,
            "name": name,
            "kind": kind,
            "version": version,
            "uri": uri,
            "count": n,
            "kinds": list(kinds),
            "context": context,
            "constraint": None,
        }

    expected = [
        lib("conda", "numpy", ">=1.26", "environment.yml"),
        lib("conda", "pip", None, "environment.yml"),
        lib("npm", "@tanstack/query", "5.0.0", "package.json", id_name="%40tanstack/query"),
        lib("npm", "local-lib", None, "package.json", kinds=("dev-depends",)),
        lib("npm", "react", "^18.2.0", "package.json"),
        lib("npm", "vite", "^5.0.0", "package.json", kinds=("dev-depends",)),
        lib("pypi", "fastapi", "^0.110", "pyproject.toml"),
        lib("pypi", "numpy", "==2.0.0, >=1.20", "requirements.txt, setup.cfg", n=2),
        lib("pypi", "pandas", ">=2.0", "pyproject.toml"),
        lib("pypi", "pytest", ">=8", "pyproject.toml", kinds=("dev-depends",)),
        lib("pypi", "pyyaml", None, "setup.cfg"),
        lib("pypi", "requests", None, "pyproject.toml"),
        lib("pypi", "ruff", "^0.4", "pyproject.toml", kinds=("dev-depends",)),
        lib("pypi", "scikit-learn", ">=1.4", "requirements.txt"),
        lib("pypi", "torch", ">=2.1", "requirements.txt"),
        lib("pypi", "wandb", "==0.17.0", "environment.yml"),
        ref(
            f"dvc:{REMOTE}/data/train.csv",
            "data/train.csv",
            "dataset",
            "data/train.csv.dvc",
            kinds=("tracks",),
            version="0123456789abcdef0123456789abcdef",
        ),
        ref(f"dvc:{REMOTE}/models/model.pt", "models/model.pt", "model", "dvc.yaml", kinds=("tracks",)),
        ref("hf:dataset/glue", "glue", "dataset", "configs/train.yaml", uri="https://huggingface.co/datasets/glue"),
        ref("hf:dataset/imdb", "imdb", "dataset", "src/train.py", uri="https://huggingface.co/datasets/imdb"),
        ref(
            "hf:model/bert-base-uncased",
            "bert-base-uncased",
            "model",
            "src/train.py",
            n=2,
            uri="https://huggingface.co/bert-base-uncased",
        ),
        ref(
            "hf:model/distilbert-base-uncased",
            "distilbert-base-uncased",
            "model",
            "configs/train.yaml",
            uri="https://huggingface.co/distilbert-base-uncased",
        ),
        ref(
            "hf:model/sentence-transformers/all-MiniLM-L6-v2",
            "sentence-transformers/all-MiniLM-L6-v2",
            "model",
            "notebooks/explore.ipynb",
            uri="https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2",
        ),
    ]
    for row in uses:
        del row["first"], row["last"]
    assert uses == sorted(expected, key=lambda row: row["id"])


def test_weekly_metrics(imported, graph):
    c3_lines = sum(lines(c) for c in C3_FILES.values())
    assert metric_values(graph) == {
        # Week of 6 January: Alice's 3 new files and Bob's (and Carol's) edit of train.py.
        ("2025-W02", "commits"): 2,
        ("2025-W02", "authors"): 3,
        ("2025-W02", "churn"): 9,
        ("2025-W02", "bus_factor"): 1,
        ("2025-W02", "collaboration"): 1.0,
        # Week of 13 January: Alice's manifests, the bot's bump, Bob and Alice's fine-tune.
        ("2025-W03", "commits"): 3,
        ("2025-W03", "authors"): 2,
        ("2025-W03", "churn"): c3_lines + 2 + 1,
        ("2025-W03", "bus_factor"): 1,
        ("2025-W03", "collaboration"): 1.0,
    }


def test_importing_again_changes_nothing(imported, graph, repo):
    before = snapshot(graph)
    (report,) = import_repositories(graph, "neo4j", [repo.path])
    assert (report.mode, report.commits) == ("up-to-date", 0)
    assert snapshot(graph) == before


def test_a_new_commit_is_imported_incrementally(imported, graph, repo):
    # Someone gave Carol a role by hand: it stays when git's role for her changes.
    graph.execute_query(
        "MATCH (:Person {id: $c})-[m:MEMBER_OF]->(:Project {id: $p}) SET m.roles = m.roles + 'owner'",
        c=CAROL_ID,
        p=PROJECT,
    )
    repo.write("README.md", "# Demo\n\nTrains a classifier.\n")
    repo.commit("readme", ("Carol", "carol@example.org"), "2025-01-21T09:00:00Z")
    (report,) = import_repositories(graph, "neo4j", [repo.path])
    assert (report.mode, report.commits, report.people, report.weeks) == ("incremental", 1, 1, 1)
    assert count(graph, "MATCH (c:Commit)-[:IN]->(:GitRepository {id: $r}) RETURN count(c)", r=REMOTE) == 6
    assert count(graph, "MATCH (h:Person) RETURN count(h)") == 3
    carol = rows(
        graph,
        "MATCH (:Person {id: $c})-[m:MEMBER_OF]->(:Project {id: $p}) RETURN m.roles AS roles, m.commits AS commits",
        c=CAROL_ID,
        p=PROJECT,
    )
    # 3 + 2 + 2 of 7 credits: the core now needs all three.
    assert carol == [{"roles": ["owner", "maintainer"], "commits": 2}]
    values = metric_values(graph)
    assert len(values) == 15
    assert {
        name: values[("2025-W04", name)] for name in ("commits", "authors", "churn", "bus_factor", "collaboration")
    } == {"commits": 1, "authors": 1, "churn": 3, "bus_factor": 1, "collaboration": 1.0}
    assert values[("2025-W02", "commits")] == 2  # weeks before the new commit are left as they were


def test_rewritten_history_is_imported_in_full(imported, graph, repo):
    old_head = repo.git("rev-parse", "HEAD")
    repo.write("README.md", "# Demo\n")
    new_head = repo.commit("readme", ("Carol", "carol@example.org"), "2025-01-28T09:00:00Z", amend=True)
    (report,) = import_repositories(graph, "neo4j", [repo.path])
    assert (report.mode, report.commits) == ("full", 6)
    shas = {
        r["sha"] for r in rows(graph, "MATCH (c:Commit)-[:IN]->(:GitRepository {id: $r}) RETURN c.id AS sha", r=REMOTE)
    }
    assert new_head in shas and old_head not in shas and len(shas) == 6
    values = metric_values(graph)
    assert len(values) == 20  # W02 to W05, with W04 now empty
    assert (values[("2025-W04", "commits")], values[("2025-W05", "commits")], values[("2025-W05", "churn")]) == (
        0,
        1,
        1,
    )


def test_a_bare_clone_imports_into_the_project_it_is_given(imported, graph, repo, tmp_path):
    bare = tmp_path / "demo-repo.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True)
    (report,) = import_repositories(graph, "neo4j", [bare], project_id="demo-bare")
    # A clone's remote is a local path: the repository is known by its folder's name and first commit.
    root = repo.git("rev-list", "--max-parents=0", "HEAD")
    assert (report.repository_id, report.project_id, report.mode, report.commits) == (
        f"local/demo-repo@{root[:12]}",
        "demo-bare",
        "full",
        6,
    )
    assert count(graph, "MATCH (h:Person) RETURN count(h)") == 3
    assert count(graph, "MATCH (c:Commit) RETURN count(c)") == 6  # commits are shared by sha, not copied
    assert metric_values(graph, "demo-bare") == metric_values(graph, PROJECT)
    with pytest.raises(GitImportError, match="was imported into project 'demo-bare'"):
        import_repositories(graph, "neo4j", [bare], project_id="another")


def test_a_folder_that_is_not_a_repository_is_refused_before_anything_is_written(graph, tmp_path, repo):
    with pytest.raises(GitImportError, match="is not a git repository"):
        import_repositories(graph, "neo4j", [repo.path, tmp_path], project_id="never")
    assert count(graph, "MATCH (p:Project {id: 'never'}) RETURN count(p)") == 0


def test_graphql_metrics_and_series(imported, client):
    result = data(
        client,
        """query($p: ID!) { project(id: $p) {
        metrics { week commits authors churn busFactor collaboration }
        metricSeries(name: COMMITS, from: "2025-01-13T00:00:00Z", to: "2025-01-27T00:00:00Z") { at period value }
        all: metricSeries(name: BUS_FACTOR) { period }
        members { edges { node { id } membership { roles } } } } }""",
        {"p": PROJECT},
    )["project"]
    assert result["metrics"] == {
        "week": "2025-01-27T00:00:00+00:00",
        "commits": 1,
        "authors": 1,
        "churn": 1,
        "busFactor": 1,
        "collaboration": 1.0,
    }
    assert result["metricSeries"] == [
        {"at": "2025-01-13T00:00:00+00:00", "period": "2025-W03", "value": 3.0},
        {"at": "2025-01-20T00:00:00+00:00", "period": "2025-W04", "value": 0.0},
        {"at": "2025-01-27T00:00:00+00:00", "period": "2025-W05", "value": 1.0},
    ]
    assert [p["period"] for p in result["all"]] == ["2025-W02", "2025-W03", "2025-W04", "2025-W05"]
    assert len(result["members"]["edges"]) == 3
    nothing = data(client, '{ project(id: "demo-bare") { dora { deployments } } p: projects(first: 1) { totalCount } }')
    assert nothing["project"]["dora"]["deployments"] == 0
    error = error_of(
        client,
        '{ project(id: "demo-repo") { metricSeries(name: CHURN, from: "2025-02-01T00:00:00Z", '
        'to: "2025-01-01T00:00:00Z") { value } } }',
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_metrics_of_many_projects_take_one_query(imported, client):
    body = client.post(
        "/graphql", json={"query": "{ projects(first: 10) { edges { node { id metrics { commits } } } } }"}
    )
    result = body.json()
    found = {e["node"]["id"]: e["node"]["metrics"] for e in result["data"]["projects"]["edges"]}
    assert found == {PROJECT: {"commits": 1}, "demo-bare": {"commits": 1}}
    assert result["extensions"]["cypher"]["roundTrips"] == 2  # the page with its count, the metrics
