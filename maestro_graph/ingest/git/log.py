"""Commits read from `git log`: who (after `.mailmap`), when, co-authors, and the lines
changed per file.

Authors come out of git already mapped through `.mailmap` (%aN/%aE). Co-authors are
free text in `Co-authored-by:` trailers, which git does not map, so they go through
`git check-mailmap` once per distinct identity.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from maestro_graph.ingest.git import command

_RECORD = "\x1d"
_FIELD = "\x1f"
_ITEM = "\x1e"
_FORMAT = _RECORD + _FIELD.join(
    [
        "%H",
        "%P",
        "%aN",
        "%aE",
        "%aI",
        "%(trailers:key=Co-authored-by,valueonly,unfold,separator=%x1e)",
    ]
)
_IDENTITY = re.compile(r"^\s*(?P<name>[^<>]*?)\s*<(?P<email>[^<>]*)>\s*$")
# check-mailmap takes identities as arguments: batches keep the command line short.
_MAILMAP_BATCH = 200


@dataclass(frozen=True)
class Identity:
    name: str
    email: str


@dataclass(frozen=True)
class FileChange:
    path: str
    added: int
    deleted: int


@dataclass(frozen=True)
class RawCommit:
    sha: str
    parents: tuple[str, ...]
    author: Identity
    at: datetime  # author date, in UTC: when the work was done, which rebases keep
    coauthors: tuple[Identity, ...]
    files: tuple[FileChange, ...]

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


def parse_identity(value: str) -> Identity | None:
    """`Name <email>` as trailers write it; None when it is not that shape."""
    match = _IDENTITY.match(value)
    if not match or not (match.group("name") or match.group("email")):
        return None
    return Identity(match.group("name").strip(), match.group("email").strip())


def _unquote_path(path: str) -> str:
    # Even with core.quotePath=false, git C-quotes paths holding tabs, newlines or quotes.
    if len(path) >= 2 and path.startswith('"') and path.endswith('"'):
        raw = codecs.escape_decode(path[1:-1].encode("utf-8"))[0]
        return raw.decode("utf-8", "replace")
    return path


def _numstat(line: str) -> FileChange | None:
    parts = line.split("\t", 2)
    if len(parts) != 3:
        return None
    added, deleted, path = parts
    # Binary files report "-": they changed, but by no countable lines.
    return FileChange(
        _unquote_path(path), int(added) if added.isdigit() else 0, int(deleted) if deleted.isdigit() else 0
    )


def _header(line: str) -> tuple[str, tuple[str, ...], Identity, datetime, tuple[Identity, ...]]:
    sha, parents, name, email, date, trailers = line.split(_FIELD)
    at = datetime.fromisoformat(date).astimezone(UTC)
    coauthors = tuple(
        identity for identity in (parse_identity(v) for v in trailers.split(_ITEM) if v.strip()) if identity
    )
    return sha, tuple(parents.split()), Identity(name.strip(), email.strip()), at, coauthors


def read_commits(repo: Path, revisions: str) -> Iterator[RawCommit]:
    """Every commit in `revisions` (e.g. HEAD, or old..new), newest first."""
    args = (
        "log",
        "--no-renames",
        "--no-ext-diff",
        "--no-textconv",
        "--numstat",
        f"--format={_FORMAT}",
        revisions,
        "--",
    )
    header = None
    files: list[FileChange] = []
    for line in command.stream_lines(repo, *args):
        if line.startswith(_RECORD):
            if header is not None:
                yield RawCommit(*header[:2], header[2], header[3], header[4], tuple(files))
            header = _header(line[1:])
            files = []
        elif line and header is not None:
            change = _numstat(line)
            if change is not None:
                files.append(change)
    if header is not None:
        yield RawCommit(*header[:2], header[2], header[3], header[4], tuple(files))


def map_identities(repo: Path, identities: Iterable[Identity]) -> dict[Identity, Identity]:
    """Each identity as `.mailmap` maps it (itself when the mailmap says nothing)."""
    unique = list(dict.fromkeys(identities))
    mapped: dict[Identity, Identity] = {}
    for start in range(0, len(unique), _MAILMAP_BATCH):
        batch = unique[start : start + _MAILMAP_BATCH]
        # check-mailmap wants `Name <email>`; a name-less identity is asked for as `<email>`.
        contacts = [f"{i.name} <{i.email}>" if i.name else f"<{i.email}>" for i in batch]
        # `--` so that an identity written as "--something" is never read as an option.
        lines = command.text(repo, "check-mailmap", "--", *contacts).splitlines()
        if len(lines) != len(batch):
            raise command.GitError(
                f"git check-mailmap in {repo}: answered {len(lines)} lines for {len(batch)} identities"
            )
        for identity, line in zip(batch, lines, strict=True):
            mapped[identity] = parse_identity(line) or identity
    return mapped
