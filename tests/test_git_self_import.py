"""This project's own repository, imported and compared with what `git log` says.

A bare clone pins the history (commits landing meanwhile do not move it) and exercises
the bare-repository path."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

import pytest
from conftest import count

from maestro_graph.domain import hash_email
from maestro_graph.ingest.git.importer import import_repositories

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "maestro-graph-self"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    if subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "-q", "HEAD"], capture_output=True).returncode:
        pytest.skip("the project's checkout has no commits")
    target = tmp_path_factory.mktemp("self") / "maestro-graph.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(ROOT), str(target)], check=True)
    return target


def expected_credits(repo: Path) -> Counter:
    """Commits per email hash, from git log itself: author (mailmap applied) plus co-authors."""
    credits: Counter = Counter()
    out = git(repo, "log", "--format=%aN%x1f%aE%x1f%(trailers:key=Co-authored-by,valueonly,separator=%x1e)%x1d")
    for record in filter(str.strip, out.split("\x1d")):
        name, email, trailers = record.strip("\n").split("\x1f")
        people = set()
        if not name.endswith("[bot]"):
            people.add(hash_email(email))
        for trailer in filter(None, trailers.split("\x1e")):
            mapped = git(repo, "check-mailmap", "--", trailer.strip()).strip()
            if "<" in mapped and not mapped.split("<")[0].strip().endswith("[bot]"):
                people.add(hash_email(mapped.split("<", 1)[1].rstrip(">")))
        credits.update(people)
    return credits


def test_people_and_commit_counts_match_git_log(graph, clone):
    (report,) = import_repositories(graph, "neo4j", [clone], project_id=PROJECT)
    commits = int(git(clone, "rev-list", "--count", "HEAD"))
    assert (report.mode, report.commits) == ("full", commits)
    assert count(graph, "MATCH (c:Commit)-[:IN]->(:GitRepository) RETURN count(c)") == commits
    members = dict(
        graph.execute_query(
            "MATCH (h:Person)-[m:MEMBER_OF]->(:Project {id: $p}) RETURN h.email_hash AS hash, m.commits AS commits",
            p=PROJECT,
        ).records
    )
    assert members == dict(expected_credits(clone))
    weekly = count(
        graph, "MATCH (:Project {id: $p})-[:HAS_METRIC]->(m:Metric {name: 'commits'}) RETURN sum(m.value)", p=PROJECT
    )
    assert weekly == commits
    # The project's own manifest is read: its dependencies are libraries it uses.
    assert (
        count(
            graph, "MATCH (:Project {id: $p})-[u:USES]->(:Artifact {id: 'pkg:pypi/neo4j'}) RETURN count(u)", p=PROJECT
        )
        == 1
    )
