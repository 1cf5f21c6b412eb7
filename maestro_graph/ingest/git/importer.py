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
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import neo4j

from maestro_graph.db.values import native
from maestro_graph.domain import MAX_ID_LENGTH, InvalidInput, valid_id
from maestro_graph.ingest.git import log, people, process_metrics, references, roles, tree
from maestro_graph.ingest.git.command import GitError
from maestro_graph.ingest.git.ids import checked_id
from maestro_graph.ingest.git.repository import Repository, is_ancestor, open_repository, project_id_for
from maestro_graph.ingest.manifests import MAX_LIBRARIES_PER_MANIFEST, Dependency, manifest_kind, parse_manifest
from maestro_graph.iterables import batched
from maestro_graph.repositories import git_sources, metric_series

# A commit touching more files than this (a vendoring or formatting sweep) keeps the first
# ones: enough for who-edits-what, without megabytes of paths on one node.
MAX_FILES_PER_COMMIT = 1000
MAX_FILE_BYTES = 1_000_000
MAX_SCANNED_BYTES = 200_000_000
CONTEXT_FILES = 10
# Artifacts one file may add: libraries from a manifest, and as many models and datasets
# from code or config, which are as freely written.
MAX_ARTIFACTS_PER_FILE = MAX_LIBRARIES_PER_MANIFEST
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
    left_out: int = 0  # artifacts over what one file may add, not imported (problems name the files)
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Usage:
    rows: list[dict[str, Any]]
    libraries: int
    models: int
    datasets: int
    left_out: int
    problems: list[str]


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
        kinds = (["depends"] if any(not d.dev for d in declared) else []) + (
            ["dev-depends"] if any(d.dev for d in declared) else []
        )
        rows.append(
            {
                "id": artifact_id,
                "name": declared[0].name,
                "kind": "library",
                "uri": None,
                "version": None,
                "count": len(declared),
                "kinds": kinds,
                "context": _context(d.manifest for d in declared),
                # Constraints from several manifests all hold at once: PEP 440 writes that with commas.
                "constraint": ", ".join(constraints) or None,
                "used_at": used_at,
            }
        )
    return rows


def _reference_rows(found: list[references.Reference], repository_key: str, used_at: datetime) -> list[dict[str, Any]]:
    grouped: dict[str, list[references.Reference]] = {}
    for reference in found:
        grouped.setdefault(reference.artifact_id(repository_key), []).append(reference)
    rows = []
    for artifact_id, seen in sorted(grouped.items()):
        first = seen[0]
        rows.append(
            {
                "id": artifact_id,
                "name": first.name,
                "kind": first.kind,
                "uri": first.uri,
                "version": next((r.version for r in seen if r.version), None),
                "count": len(seen),
                "kinds": ["tracks" if first.source == "dvc" else "references"],
                "context": _context(r.file for r in seen),
                "constraint": None,
                "used_at": used_at,
            }
        )
    return rows


def _local_paths(files: list[tree.TreeFile]) -> frozenset[str]:
    paths: set[str] = set()
    for file in files:
        parts = file.path.split("/")
        paths.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    return frozenset(paths)


def scan_head(repo: Repository, head: str, used_at: datetime) -> _Usage:
    """Dependencies and references in the files of `head`, the repository's HEAD commit."""
    files = tree.list_files(repo.path, head)
    texts = tree.read_texts(
        repo.path,
        files,
        lambda f: bool(manifest_kind(f.path)) or references.is_candidate(f.path),
        MAX_FILE_BYTES,
        MAX_SCANNED_BYTES,
    )
    local = _local_paths(files)
    dependencies: list[Dependency] = []
    found: list[references.Reference] = []
    problems: list[str] = []
    left_out = 0
    for path, text in sorted(texts.items()):
        if manifest_kind(path):
            result = parse_manifest(path, text)
            dependencies.extend(result.dependencies)
            problems.extend(result.problems)
            left_out += len(result.left_out)
        if references.is_candidate(path):
            kept, over = _capped_references(path, references.find_references(path, text, local), repo.key, problems)
            found.extend(kept)
            left_out += over
    libraries = _library_rows(dependencies, used_at)
    referenced = _reference_rows(found, repo.key, used_at)
    return _Usage(
        rows=libraries + referenced,
        libraries=len(libraries),
        models=sum(1 for row in referenced if row["kind"] == "model"),
        datasets=sum(1 for row in referenced if row["kind"] == "dataset"),
        left_out=left_out,
        problems=problems,
    )


def _capped_references(
    path: str, found: list[references.Reference], repository_key: str, problems: list[str]
) -> tuple[list[references.Reference], int]:
    """One file's references that make ids, up to MAX_ARTIFACTS_PER_FILE distinct artifacts;
    and how many artifacts were left out over that cap."""
    kept: list[references.Reference] = []
    ids: set[str] = set()
    over: set[str] = set()
    for reference in found:
        artifact_id = reference.artifact_id(repository_key)
        if artifact_id not in ids:
            if checked_id(artifact_id) is None:
                problems.append(f"{path}: {reference.name[:60]!r} is too long for an id")
                continue
            if len(ids) >= MAX_ARTIFACTS_PER_FILE:
                over.add(artifact_id)
                continue
            ids.add(artifact_id)
        kept.append(reference)
    if over:
        problems.append(
            f"{path}: refers to {len(ids) + len(over)} models and datasets; "
            f"only the first {MAX_ARTIFACTS_PER_FILE} are imported"
        )
    return kept, len(over)


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
        state = git_sources.repository_state(self.driver, self.database, repo.key)
        if state and state["project_id"] != self.project_id:
            raise GitImportError(
                f"{repo.path}: repository {repo.key} was imported into project {state['project_id']!r}; "
                f"import it with --project-id {state['project_id']}"
            )
        head = repo.head
        if head is None:
            self.report.mode = "empty"
            return self.report
        old_head = state["head"] if state else None
        if old_head == head:
            self.report.mode = "up-to-date"
            return self.report
        incremental = is_ancestor(repo.path, old_head, head) if old_head else False
        self.report.mode = "incremental" if incremental else "full"
        raw = list(log.read_commits(repo.path, f"{old_head}..{head}" if incremental else head))
        self.report.commits = len(raw)

        person_of = self._people(raw)
        rows = [self._commit_row(commit, person_of) for commit in raw]
        head_time = next((c.at for c in raw if c.sha == head), datetime.now(UTC))
        usage = scan_head(repo, head, head_time)
        self.report.libraries, self.report.models, self.report.datasets = usage.libraries, usage.models, usage.datasets
        self.report.left_out = usage.left_out
        self.report.problems.extend(usage.problems)

        first_commit_at = min((c.at for c in raw), default=None)
        git_sources.upsert_project(
            self.driver, self.database, self.project_id, repo.key, repo.name, repo.remote, first_commit_at
        )
        for batch in batched(rows, self.batch_size):
            git_sources.upsert_commits(self.driver, self.database, repo.key, batch)
        if not incremental and old_head:
            git_sources.detach_unreachable(self.driver, self.database, repo.key, [row["sha"] for row in rows])
        changed_since = first_commit_at if incremental else None
        with self.driver.session(database=self.database) as session:
            self.report.weeks = session.execute_write(self._derive, head, usage.rows, changed_since)
        return self.report

    def _people(self, raw: list[log.RawCommit]) -> dict[log.Identity, str | None]:
        """Person id of every identity in these commits (None for bots), co-authors mapped through .mailmap."""
        mapped = log.map_identities(self.repo.path, (c for commit in raw for c in commit.coauthors))
        identities = [commit.author for commit in raw] + list(mapped.values())
        found = people.people_of(identities)
        hashes = sorted({p.email_hash for p in found.values() if p.email_hash})
        known = git_sources.person_ids_by_email_hash(self.driver, self.database, hashes)
        ids = {key: (known.get(p.email_hash) if p.email_hash else None) or p.derived_id for key, p in found.items()}
        person_rows = [{"id": ids[key], "name": p.name, "email_hash": p.email_hash} for key, p in sorted(found.items())]
        for batch in batched(person_rows, self.batch_size):
            git_sources.upsert_people(self.driver, self.database, batch)
        self.report.people = len(found)
        resolved: dict[log.Identity, str | None] = {}
        for identity in [commit.author for commit in raw] + list(mapped):
            target = mapped.get(identity, identity)
            resolved[identity] = None if people.is_bot(target) else ids.get(people.identity_key(target))
        return resolved

    @staticmethod
    def _commit_row(commit: log.RawCommit, person_of: dict[log.Identity, str | None]) -> dict[str, Any]:
        author = person_of.get(commit.author)
        authors = list(dict.fromkeys(a for a in [author] + [person_of.get(c) for c in commit.coauthors] if a))
        return {
            "sha": commit.sha,
            "at": commit.at,
            "merge": commit.is_merge,
            "authors": authors,
            # Named only by a Co-authored-by trailer, which is unauthenticated text: see roles.
            "coauthors": [person for person in authors if person != author],
            "added": sum(f.added for f in commit.files),
            "deleted": sum(f.deleted for f in commit.files),
            "files": [f.path for f in commit.files[:MAX_FILES_PER_COMMIT]],
            "files_total": len(commit.files),
        }

    def _derive(
        self, tx: neo4j.ManagedTransaction, head: str, usage_rows: list[dict], changed_since: datetime | None
    ) -> int:
        """Usage, memberships and metrics from the graph's commits, then the new head: one transaction."""
        git_sources.upsert_uses(tx, self.project_id, usage_rows)
        span = git_sources.commit_span(tx, self.project_id)
        weeks = 0
        if span["commits"]:
            first, last = native(span["first"]), native(span["last"])
            self._members(tx, last)
            weeks = self._metrics(tx, first, last, changed_since)
        git_sources.mark_imported(tx, self.repo.key, head)
        return weeks

    def _members(self, tx: neo4j.ManagedTransaction, last: datetime) -> None:
        records = git_sources.activity(tx, self.project_id, roles.recent_since(last))
        activity = [
            roles.Activity(
                r["person_id"],
                r["commits"],
                r["recent"],
                native(r["first"]),
                native(r["last"]),
                coauthor_only=r["authored"] == 0,
            )
            for r in records
        ]
        derived = roles.derive_roles(activity)
        rows = [
            {
                "person_id": a.person_id,
                "role": derived[a.person_id],
                "commits": a.commits,
                "first": a.first,
                "last": a.last,
            }
            for a in activity
        ]
        git_sources.upsert_members(tx, self.project_id, rows)
        git_sources.retire_members(tx, self.project_id, list(derived))

    def _metrics(
        self, tx: neo4j.ManagedTransaction, first: datetime, last: datetime, changed_since: datetime | None
    ) -> int:
        start = process_metrics.week_of(first)
        if changed_since is not None:
            start = max(start, process_metrics.week_of(changed_since))
        weeks = process_metrics.weeks_between(start, process_metrics.week_of(last))
        window_start = start - timedelta(weeks=process_metrics.WINDOW_WEEKS - 1)
        since = datetime.combine(window_start, time.min, tzinfo=UTC)
        facts = [
            process_metrics.CommitFacts(
                r["sha"], native(r["at"]), tuple(r["authors"]), r["added"], r["deleted"], tuple(r["files"])
            )
            for r in git_sources.commits_since(tx, self.project_id, since)
        ]
        points = process_metrics.weekly_metrics(facts, weeks)
        rows: list[dict[str, Any]] = [
            {"id": p.metric_id(self.project_id), "name": p.name, "value": p.value, "at": p.at, "period": p.period}
            for p in points
        ]
        for batch in batched(rows, self.batch_size):
            metric_series.upsert(tx, self.project_id, batch, METRIC_SOURCE)
        if changed_since is None:
            metric_series.delete_others(tx, self.project_id, METRIC_SOURCE, keep=[row["id"] for row in rows])
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
        if checked_id(repo.key) is None:
            raise GitImportError(
                f"{repo.path}: the repository's id {repo.key[:60]!r}… is over {MAX_ID_LENGTH} characters"
            )
        project = project_id or project_id_for(repo)
        if checked_id(project) is None:
            raise GitImportError(
                f"{repo.path}: the project id made from its name is over {MAX_ID_LENGTH} "
                "characters; give one with --project-id"
            )
        resolved.append((repo, project))
    return resolved


def import_repositories(
    driver: neo4j.Driver, database: str, paths: list[Path], project_id: str | None = None, batch_size: int = 2000
) -> list[RepositoryReport]:
    reports = []
    for repo, project in resolve(paths, project_id):
        try:
            reports.append(_Import(driver, database, repo, project, batch_size).run())
        except GitError as error:
            raise GitImportError(str(error)) from None
    return reports
