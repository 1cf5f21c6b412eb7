"""What `import-git` writes: repositories, commits, the people who made them, their
memberships, and the artifacts the code depends on or refers to.

    (:Project)-[:HAS_REPOSITORY]->(:GitRepository {id, name, remote, head, imported_at})
    (:Commit {id: sha, at, authors, coauthors, added, deleted, files, files_total, merge})-[:IN]->(:GitRepository)
    (:Person)-[:MEMBER_OF {roles, since, git_role, commits, last_commit}]->(:Project)
    (:Project)-[:USES {count, kinds, context, constraint, first_used, last_used}]->(:Artifact)

Commit authors are a list of Person ids on the commit rather than relationships: a
person's relationships are their projects, teams and creations, and thousands of
AUTHORED edges would drown those (and every degree-based ordering) in noise. `coauthors`
are those of `authors` named only by a commit's Co-authored-by trailers, not its author.

A batch job's module (see the package's docstring): each function taking the driver runs
its own transaction; those taking a `neo4j.ManagedTransaction` run in the importer's
transaction that derives usage, memberships and metrics and moves the head.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import neo4j

from maestro_graph.db import parameters

PROJECT = """
MERGE (p:Project {id: $project_id})
ON CREATE SET p.name = $name, p.created_at = coalesce($created_at, datetime())
WITH p
MERGE (r:GitRepository {id: $repository_id})
ON CREATE SET r.project_id = $project_id
SET r.name = $name, r.remote = $remote
MERGE (p)-[:HAS_REPOSITORY]->(r)
"""

REPOSITORY_STATE = "MATCH (r:GitRepository {id: $repository_id}) RETURN r.project_id AS project_id, r.head AS head"

PEOPLE_BY_EMAIL_HASH = """
UNWIND $hashes AS hash
MATCH (h:Person {email_hash: hash})
RETURN hash, min(h.id) AS id
"""

# A Person met before (through the API or a bundle) keeps its name; git fills gaps only.
UPSERT_PEOPLE = """
UNWIND $rows AS row
MERGE (h:Person {id: row.id})
ON CREATE SET h.created_at = datetime(), h.kind = 'person'
SET h.name = coalesce(h.name, row.name), h.email_hash = coalesce(h.email_hash, row.email_hash)
"""

UPSERT_COMMITS = """
MATCH (r:GitRepository {id: $repository_id})
UNWIND $rows AS row
MERGE (c:Commit {id: row.sha})
SET c.at = row.at, c.authors = row.authors, c.coauthors = row.coauthors, c.added = row.added,
    c.deleted = row.deleted, c.files = row.files, c.files_total = row.files_total, c.merge = row.merge
MERGE (c)-[:IN]->(r)
"""

# After a full re-read (history was rewritten), commits no longer reachable leave the
# repository; one left in no repository, and unknown to CI (no push batch), is deleted.
DETACH_UNREACHABLE = """
MATCH (:GitRepository {id: $repository_id})<-[i:IN]-(c:Commit)
WHERE NOT c.id IN $shas
DELETE i
WITH DISTINCT c
WHERE NOT (c)-[:IN]->() AND c.batch IS NULL
DELETE c
"""

# Commits of the project through any of its repositories, each once (mirrors share commits).
_PROJECT_COMMITS = """
MATCH (:Project {id: $project_id})-[:HAS_REPOSITORY]->(:GitRepository)<-[:IN]-(c:Commit)
WITH DISTINCT c
"""

COMMIT_SPAN = _PROJECT_COMMITS + "RETURN min(c.at) AS first, max(c.at) AS last, count(c) AS commits"

COMMITS_SINCE = (
    _PROJECT_COMMITS
    + """
WHERE c.at >= $since
RETURN c.id AS sha, c.at AS at, coalesce(c.authors, []) AS authors, coalesce(c.added, 0) AS added,
       coalesce(c.deleted, 0) AS deleted, coalesce(c.files, []) AS files
"""
)

# `authored`: commits the person wrote rather than was named on by a trailer. A commit
# imported before `coauthors` was recorded counts for everyone it lists, as it did then.
ACTIVITY = (
    _PROJECT_COMMITS
    + """
UNWIND c.authors AS person_id
RETURN person_id, count(*) AS commits, count(CASE WHEN c.at >= $recent_since THEN 1 END) AS recent,
       count(CASE WHEN c.coauthors IS NULL OR NOT person_id IN c.coauthors THEN 1 END) AS authored,
       min(c.at) AS first, max(c.at) AS last
"""
)

# The role git derives is kept in `git_role`, so that when it changes (a contributor
# becomes a maintainer) the old derived role is replaced while roles given by people stay.
UPSERT_MEMBERS = """
MATCH (p:Project {id: $project_id})
UNWIND $rows AS row
MATCH (h:Person {id: row.person_id})
MERGE (h)-[m:MEMBER_OF]->(p)
ON CREATE SET m.roles = [row.role], m.since = row.first
ON MATCH SET m.roles = [role IN coalesce(m.roles, []) WHERE role <> coalesce(m.git_role, '') OR role = row.role]
                       + CASE WHEN row.role IN coalesce(m.roles, []) THEN [] ELSE [row.role] END,
             m.since = CASE WHEN m.since IS NULL OR row.first < m.since THEN row.first ELSE m.since END
SET m.git_role = row.role, m.commits = row.commits, m.last_commit = row.last
"""

# People whose commits are all gone (history rewritten) lose what git gave them; a
# membership left with no role at all is removed.
RETIRE_MEMBERS = """
MATCH (h:Person)-[m:MEMBER_OF]->(:Project {id: $project_id})
WHERE m.git_role IS NOT NULL AND NOT h.id IN $people
SET m.roles = [role IN coalesce(m.roles, []) WHERE role <> m.git_role]
REMOVE m.git_role, m.commits, m.last_commit
WITH m WHERE size(m.roles) = 0
DELETE m
"""

# A dependency or reference seen at HEAD. `count`, `context` and `constraint` describe
# HEAD and are replaced; `kinds` accumulate; first/last use widen, so an artifact the
# project stopped using keeps the last time it was seen.
UPSERT_USES = """
MATCH (p:Project {id: $project_id})
UNWIND $rows AS row
MERGE (a:Artifact {id: row.id})
ON CREATE SET a.created_at = datetime(), a.name = row.name, a.kind = row.kind, a.uri = row.uri
SET a.version = CASE WHEN row.version IS NULL THEN a.version ELSE row.version END
MERGE (p)-[u:USES]->(a)
ON CREATE SET u.count = row.count, u.kinds = row.kinds, u.context = row.context, u.constraint = row.constraint,
              u.first_used = row.used_at, u.last_used = row.used_at
ON MATCH SET u.count = row.count, u.context = row.context, u.constraint = row.constraint,
             u.kinds = coalesce(u.kinds, []) + [kind IN row.kinds WHERE NOT kind IN coalesce(u.kinds, [])],
             u.first_used = CASE WHEN u.first_used IS NULL OR row.used_at < u.first_used
                                 THEN row.used_at ELSE u.first_used END,
             u.last_used = CASE WHEN u.last_used IS NULL OR row.used_at > u.last_used
                                THEN row.used_at ELSE u.last_used END
"""

# Written last: until the head moves, a failed import is simply retried from the old head.
MARK_IMPORTED = """
MATCH (r:GitRepository {id: $repository_id})
SET r.head = $head, r.imported_at = datetime()
"""


# --- the repository, its commits and their people: one transaction per call -------------


def repository_state(driver: neo4j.Driver, database: str, repository_id: str) -> dict[str, Any] | None:
    """The project a repository was imported into and the head it was imported at; None if never."""
    records, _, _ = driver.execute_query(REPOSITORY_STATE, repository_id=repository_id, database_=database)
    return records[0].data() if records else None


def upsert_project(
    driver: neo4j.Driver,
    database: str,
    project_id: str,
    repository_id: str,
    name: str,
    remote: str | None,
    created_at: datetime | None,
) -> None:
    driver.execute_query(
        PROJECT,
        project_id=project_id,
        repository_id=repository_id,
        name=name,
        remote=remote,
        created_at=created_at,
        database_=database,
    )


def person_ids_by_email_hash(driver: neo4j.Driver, database: str, hashes: list[str]) -> dict[str, str]:
    """The id of the Person already known by each of these email hashes."""
    records, _, _ = driver.execute_query(PEOPLE_BY_EMAIL_HASH, hashes=hashes, database_=database)
    return {record["hash"]: record["id"] for record in records}


def upsert_people(driver: neo4j.Driver, database: str, rows: list[dict[str, Any]]) -> None:
    driver.execute_query(UPSERT_PEOPLE, rows=parameters.rows(rows), database_=database)


def upsert_commits(driver: neo4j.Driver, database: str, repository_id: str, rows: list[dict[str, Any]]) -> None:
    driver.execute_query(UPSERT_COMMITS, repository_id=repository_id, rows=parameters.rows(rows), database_=database)


def detach_unreachable(driver: neo4j.Driver, database: str, repository_id: str, shas: list[str]) -> None:
    driver.execute_query(DETACH_UNREACHABLE, repository_id=repository_id, shas=shas, database_=database)


# --- what the commits imply, in the importer's transaction --------------------------------


def upsert_uses(tx: neo4j.ManagedTransaction, project_id: str, rows: list[dict[str, Any]]) -> None:
    tx.run(UPSERT_USES, project_id=project_id, rows=parameters.rows(rows)).consume()


def commit_span(tx: neo4j.ManagedTransaction, project_id: str) -> dict[str, Any]:
    """`first` and `last` commit times of the project and its number of `commits`."""
    record = tx.run(COMMIT_SPAN, project_id=project_id).single(strict=True)
    return record.data()


def commits_since(tx: neo4j.ManagedTransaction, project_id: str, since: datetime) -> list[dict[str, Any]]:
    return tx.run(COMMITS_SINCE, project_id=project_id, since=since).data()


def activity(tx: neo4j.ManagedTransaction, project_id: str, recent_since: datetime) -> list[dict[str, Any]]:
    """Per person: `commits`, `recent` ones, `authored` ones, `first` and `last` commit times."""
    return tx.run(ACTIVITY, project_id=project_id, recent_since=recent_since).data()


def upsert_members(tx: neo4j.ManagedTransaction, project_id: str, rows: list[dict[str, Any]]) -> None:
    tx.run(UPSERT_MEMBERS, project_id=project_id, rows=parameters.rows(rows)).consume()


def retire_members(tx: neo4j.ManagedTransaction, project_id: str, people: list[str]) -> None:
    """What git gave people not among `people` (the ones it still derives a role for) is taken back."""
    tx.run(RETIRE_MEMBERS, project_id=project_id, people=people).consume()


def mark_imported(tx: neo4j.ManagedTransaction, repository_id: str, head: str) -> None:
    tx.run(MARK_IMPORTED, repository_id=repository_id, head=head).consume()
