"""Import a local git repository into the graph, incrementally and idempotently.

A repository is remembered as a GitRepository node holding the HEAD it was last imported
at. The next import reads only `old..HEAD` from git (all of HEAD when the old head is no
longer in its history, e.g. after a force-push) and then recomputes what depends on the
project's whole history from the graph: memberships, and the metric weeks the new
commits reach. Every write is a MERGE keyed by sha, person id, artifact id or metric id,
and the head moves last, in the same transaction as the derived data: an import that
stops half way leaves the old head, and running it again finishes the job.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import neo4j

from maestro_graph.domain import InvalidInput, valid_id
from maestro_graph.ingest.git import log, people, process_metrics, references, roles, tree
from maestro_graph.ingest.git.command import GitError
from maestro_graph.ingest.git.repository import Repository, is_ancestor, open_repository, project_id_for
from maestro_graph.ingest.manifests import Dependency, manifest_kind, parse_manifest
from maestro_graph.repositories import git_sources, metrics

# A commit touching more files than this (a vendoring or formatting sweep) keeps the first
# ones: enough for who-edits-what, without megabytes of paths on one node.
MAX_FILES_PER_COMMIT = 1000
MAX_FILE_BYTES = 1_000_000
MAX_SCANNED_BYTES = 200_000_000
CONTEXT_FILES = 10
METRIC_SOURCE = "git"


class GitImportError(RuntimeError):
    """The import cannot go ahead (not a repository, bound to another project, ...)."""


@dataclass
class RepositoryReport:
    path: str
    repository_id: str
    project_id: str
    mode: str  # full | incremental | up-to-date | empty
    commits: int = 0  # commits read from git this time
    people: int = 0  # people among those commits' authors and co-authors
    libraries: int = 0
    models: int = 0
    datasets: int = 0
    weeks: int = 0  # metric weeks written
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Usage:
    rows: list[dict[str, Any]]
    libraries: int
    models: int
    datasets: int
    problems: list[str]


def _native(value: Any) -> Any:
    return value.to_native() if hasattr(value, "to_native") else value


def _single(driver: neo4j.Driver, database: str, query: str, **params: Any) -> dict | None:
    records, _, _ = driver.execute_query(query, params, database_=database)
    return records[0].data() if records else None


def _batches(rows: list[dict], size: int) -> Iterable[list[dict]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _context(files: Iterable[str]) -> str:
    files = list(dict.fromkeys(files))
    shown = ", ".join(files[:CONTEXT_FILES])
    return shown + (f" and {len(files) - CONTEXT_FILES} more" if len(files) > CONTEXT_FILES else "")


def _library_rows(dependencies: list[Dependency], used_at: datetime) -> list[dict[str, Any]]:
    grouped: dict[str, list[Dependency]] = {}
    for dependency in dependencies:
        grouped.setdefault(dependency.artifact_id, []).append(dependency)
    rows = []
    for artifact_id, declared in sorted(grouped.items()):
        constraints = list(dict.fromkeys(d.constraint for d in declared if d.constraint))
        kinds = (["depends"] if any(not d.dev for d in declared) else []) + (["dev-depends"] if any(d.dev for d in declared) else [])
        rows.append({
            "id": artifact_id, "name": declared[0].name, "kind": "library", "uri": None, "version": None,
            "count": len(declared), "kinds": kinds, "context": _context(d.manifest for d in declared),
            # Constraints from several manifests all hold at once: PEP 440 writes that with commas.
            "constraint": ", ".join(constraints) or None, "used_at": used_at,
        })
    return rows


def _reference_rows(found: list[references.Reference], repository_key: str, used_at: datetime) -> list[dict[str, Any]]:
    grouped: dict[str, list[references.Reference]] = {}
    for reference in found:
        grouped.setdefault(reference.artifact_id(repository_key), []).append(reference)
    rows = []
    for artifact_id, seen in sorted(grouped.items()):
        first = seen[0]
        rows.append({
            "id": artifact_id, "name": first.name, "kind": first.kind, "uri": first.uri,
            "version": next((r.version for r in seen if r.version), None),
            "count": len(seen), "kinds": ["tracks" if first.source == "dvc" else "references"],
            "context": _context(r.file for r in seen), "constraint": None, "used_at": used_at,
        })
    return rows


def _local_paths(files: list[tree.TreeFile]) -> frozenset[str]:
    paths: set[str] = set()
    for file in files:
        parts = file.path.split("/")
        paths.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    return frozenset(paths)


def scan_head(repo: Repository, used_at: datetime) -> _Usage:
    """Dependencies and references in the files of HEAD."""
    files = tree.list_files(repo.path, repo.head)
    texts = tree.read_texts(repo.path, files, lambda f: bool(manifest_kind(f.path)) or references.is_candidate(f.path),
                            MAX_FILE_BYTES, MAX_SCANNED_BYTES)
    local = _local_paths(files)
    dependencies: list[Dependency] = []
    found: list[references.Reference] = []
    problems: list[str] = []
    for path, text in sorted(texts.items()):
        if manifest_kind(path):
            result = parse_manifest(path, text)
            dependencies.extend(result.dependencies)
            problems.extend(result.problems)
        if references.is_candidate(path):
            found.extend(references.find_references(path, text, local))
    libraries = _library_rows(dependencies, used_at)
    referenced = _reference_rows(found, repo.key, used_at)
    return _Usage(
        rows=libraries + referenced, libraries=len(libraries),
        models=sum(1 for row in referenced if row["kind"] == "model"),
        datasets=sum(1 for row in referenced if row["kind"] == "dataset"), problems=problems,
    )


class _Import:
    def __init__(self, driver: neo4j.Driver, database: str, repo: Repository, project_id: str, batch_size: int):
        self.driver = driver
        self.database = database
        self.repo = repo
        self.project_id = project_id
        self.batch_size = batch_size
        self.report = RepositoryReport(str(repo.path), repo.key, project_id, "full")

    def run(self) -> RepositoryReport:
        repo = self.repo
        state = _single(self.driver, self.database, git_sources.REPOSITORY_STATE, repository_id=repo.key)
        if state and state["project_id"] != self.project_id:
            raise GitImportError(f"{repo.path}: repository {repo.key} was imported into project {state['project_id']!r}; "
                                 f"import it with --project-id {state['project_id']}")
        if repo.head is None:
            self.report.mode = "empty"
            return self.report
        old_head = state["head"] if state else None
        if old_head == repo.head:
            self.report.mode = "up-to-date"
            return self.report
        incremental = bool(old_head) and is_ancestor(repo.path, old_head, repo.head)
        self.report.mode = "incremental" if incremental else "full"
        raw = list(log.read_commits(repo.path, f"{old_head}..{repo.head}" if incremental else repo.head))
        self.report.commits = len(raw)

        person_of = self._people(raw)
        rows = [self._commit_row(commit, person_of) for commit in raw]
        head_time = next((c.at for c in raw if c.sha == repo.head), datetime.now(timezone.utc))
        usage = scan_head(repo, head_time)
        self.report.libraries, self.report.models, self.report.datasets = usage.libraries, usage.models, usage.datasets
        self.report.problems.extend(usage.problems)

        self._write(git_sources.PROJECT, project_id=self.project_id, repository_id=repo.key, name=repo.name,
                    remote=repo.remote, created_at=min((c.at for c in raw), default=None))
        for batch in _batches(rows, self.batch_size):
            self._write(git_sources.UPSERT_COMMITS, repository_id=repo.key, rows=batch)
        if not incremental and old_head:
            self._write(git_sources.DETACH_UNREACHABLE, repository_id=repo.key, shas=[row["sha"] for row in rows])
        changed_since = min((c.at for c in raw), default=None) if incremental else None
        with self.driver.session(database=self.database) as session:
            self.report.weeks = session.execute_write(self._derive, usage.rows, changed_since)
        return self.report

    def _write(self, query: str, **params: Any) -> None:
        self.driver.execute_query(query, params, database_=self.database)

    def _people(self, raw: list[log.RawCommit]) -> dict[log.Identity, str | None]:
        """Person id of every identity in these commits (None for bots), co-authors mapped through .mailmap."""
        mapped = log.map_identities(self.repo.path, (c for commit in raw for c in commit.coauthors))
        identities = [commit.author for commit in raw] + list(mapped.values())
        found = people.people_of(identities)
        hashes = sorted({p.email_hash for p in found.values() if p.email_hash})
        records, _, _ = self.driver.execute_query(git_sources.PEOPLE_BY_EMAIL_HASH, hashes=hashes, database_=self.database)
        known = {record["hash"]: record["id"] for record in records}
        ids = {key: known.get(p.email_hash) or p.derived_id for key, p in found.items()}
        person_rows = [{"id": ids[key], "name": p.name, "email_hash": p.email_hash} for key, p in sorted(found.items())]
        for batch in _batches(person_rows, self.batch_size):
            self._write(git_sources.UPSERT_PEOPLE, rows=batch)
        self.report.people = len(found)
        resolved: dict[log.Identity, str | None] = {}
        for identity in [commit.author for commit in raw] + list(mapped):
            target = mapped.get(identity, identity)
            resolved[identity] = None if people.is_bot(target) else ids.get(people.identity_key(target))
        return resolved

    @staticmethod
    def _commit_row(commit: log.RawCommit, person_of: dict[log.Identity, str | None]) -> dict[str, Any]:
        authors = [person_of.get(commit.author)] + [person_of.get(c) for c in commit.coauthors]
        return {
            "sha": commit.sha, "at": commit.at, "merge": commit.is_merge,
            "authors": list(dict.fromkeys(a for a in authors if a)),
            "added": sum(f.added for f in commit.files), "deleted": sum(f.deleted for f in commit.files),
            "files": [f.path for f in commit.files[:MAX_FILES_PER_COMMIT]], "files_total": len(commit.files),
        }

    def _derive(self, tx: neo4j.ManagedTransaction, usage_rows: list[dict], changed_since: datetime | None) -> int:
        """Usage, memberships and metrics from the graph's commits, then the new head: one transaction."""
        project = {"project_id": self.project_id}
        tx.run(git_sources.UPSERT_USES, rows=usage_rows, **project).consume()
        span = tx.run(git_sources.COMMIT_SPAN, **project).single()
        weeks = 0
        if span and span["commits"]:
            first, last = _native(span["first"]), _native(span["last"])
            self._members(tx, last)
            weeks = self._metrics(tx, first, last, changed_since)
        tx.run(git_sources.MARK_IMPORTED, repository_id=self.repo.key, head=self.repo.head).consume()
        return weeks

    def _members(self, tx: neo4j.ManagedTransaction, last: datetime) -> None:
        records = tx.run(git_sources.ACTIVITY, project_id=self.project_id, recent_since=roles.recent_since(last)).data()
        activity = [roles.Activity(r["person_id"], r["commits"], r["recent"], _native(r["first"]), _native(r["last"]))
                    for r in records]
        derived = roles.derive_roles(activity)
        rows = [{"person_id": a.person_id, "role": derived[a.person_id], "commits": a.commits, "first": a.first,
                 "last": a.last} for a in activity]
        tx.run(git_sources.UPSERT_MEMBERS, project_id=self.project_id, rows=rows).consume()
        tx.run(git_sources.RETIRE_MEMBERS, project_id=self.project_id, people=list(derived)).consume()

    def _metrics(self, tx: neo4j.ManagedTransaction, first: datetime, last: datetime, changed_since: datetime | None) -> int:
        start = process_metrics.week_of(first)
        if changed_since is not None:
            start = max(start, process_metrics.week_of(changed_since))
        weeks = process_metrics.weeks_between(start, process_metrics.week_of(last))
        window_start = start - timedelta(weeks=process_metrics.WINDOW_WEEKS - 1)
        since = datetime.combine(window_start, time.min, tzinfo=timezone.utc)
        facts = [process_metrics.CommitFacts(r["sha"], _native(r["at"]), tuple(r["authors"]), r["added"], r["deleted"],
                                             tuple(r["files"]))
                 for r in tx.run(git_sources.COMMITS_SINCE, project_id=self.project_id, since=since)]
        points = process_metrics.weekly_metrics(facts, weeks)
        rows = [{"id": p.metric_id(self.project_id), "name": p.name, "value": p.value, "at": p.at, "period": p.period}
                for p in points]
        for batch in _batches(rows, self.batch_size):
            tx.run(metrics.UPSERT, project_id=self.project_id, rows=batch, source=METRIC_SOURCE).consume()
        if changed_since is None:
            tx.run(metrics.DELETE_OTHERS, project_id=self.project_id, source=METRIC_SOURCE,
                   keep=[row["id"] for row in rows]).consume()
        return len(weeks)


def resolve(paths: list[Path], project_id: str | None) -> list[tuple[Repository, str]]:
    """Every path opened and given its project before anything is written: one bad path stops the import."""
    if project_id is not None:
        try:
            project_id = valid_id(project_id, "project_id")
        except InvalidInput as error:
            raise GitImportError(str(error)) from None
    resolved = []
    for path in paths:
        try:
            repo = open_repository(path)
        except GitError as error:
            raise GitImportError(str(error)) from None
        resolved.append((repo, project_id or project_id_for(repo)))
    return resolved


def import_repositories(driver: neo4j.Driver, database: str, paths: list[Path], project_id: str | None = None,
                        batch_size: int = 2000) -> list[RepositoryReport]:
    reports = []
    for repo, project in resolve(paths, project_id):
        try:
            reports.append(_Import(driver, database, repo, project, batch_size).run())
        except GitError as error:
            raise GitImportError(str(error)) from None
    return reports
