"""What a path on disk is as a git repository: its HEAD, whether it is bare, where it
came from, and the stable key and project id we derive from that."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from maestro_graph.ingest.git import command
from maestro_graph.ingest.git.command import GitError
from maestro_graph.ingest.git.ids import id_part

# scp-like remote addresses: git@github.com:org/repo.git
_SCP_LIKE = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")
_ID_UNSAFE = re.compile(r"[^a-z0-9._-]+")


@dataclass(frozen=True)
class Repository:
    path: Path
    bare: bool
    head: str | None  # None for a repository without commits
    remote: str | None  # host/path of the `origin` remote, credentials removed
    name: str  # the repository's short name: last remote path segment, else the folder
    root: str | None = None  # the first root commit of HEAD's history

    @property
    def key(self) -> str:
        """The GitRepository id: the remote when there is one (so clones of one remote are one
        repository, whoever imports them), else the name and root commit, so two unrelated
        folders that happen to share a name stay two repositories while clones stay one.
        A space or control character in either is percent-encoded (see ids)."""
        if self.remote:
            return id_part(self.remote)
        name = id_part(self.name)
        return f"local/{name}@{self.root[:12]}" if self.root else f"local/{name}"


def remote_key(url: str) -> str | None:
    """`host/path` of a remote URL without scheme, user, password, port or `.git`.

    Credentials embedded in an https remote (https://user:token@host/...) must never reach
    the graph, so only host and path are kept. A URL's path is percent-decoded, so that
    `https://host/org/my%20repo` and `git@host:org/my repo` are one remote.
    """
    url = url.strip()
    if not url:
        return None
    if "://" in url:
        parts = urlsplit(url)
        host, path = parts.hostname, unquote(parts.path)
        if parts.scheme == "file" or not host:
            return None
    else:
        match = _SCP_LIKE.match(url)
        if not match:
            return None  # a local path
        host, path = match.group("host"), match.group("path")
    path = path.strip("/")
    if path.endswith(".git"):
        path = path[:-4]
    path = path.rstrip("/")
    return f"{host.lower()}/{path.lower()}" if path else None


def project_id_for(repository: Repository) -> str:
    """A project id when none is given: the repository's name, lowercased, safe for an id."""
    slug = _ID_UNSAFE.sub("-", repository.name.lower()).strip("-.")
    return slug or "repository"


def open_repository(path: Path) -> Repository:
    path = Path(path).expanduser().resolve()
    if not path.is_dir():
        raise GitError(f"{path} is not a folder")
    if not command.succeeds(path, "rev-parse", "--git-dir"):
        raise GitError(f"{path} is not a git repository")
    bare = command.text(path, "rev-parse", "--is-bare-repository").strip() == "true"
    if not bare:
        # Read from the top of the work tree even when given a sub-folder.
        path = Path(command.text(path, "rev-parse", "--show-toplevel").strip())
    # An empty repository has an unborn HEAD: nothing to import yet, which is not an error.
    head = command.run(path, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False).decode().strip() or None
    remote_url = command.run(path, "config", "--get", "remote.origin.url", check=False).decode("utf-8", "replace")
    remote = remote_key(remote_url)
    folder = path.name[:-4] if bare and path.name.endswith(".git") else path.name
    name = remote.rsplit("/", 1)[-1] if remote else folder
    roots = sorted(command.text(path, "rev-list", "--max-parents=0", head).split()) if head else []
    return Repository(path=path, bare=bare, head=head, remote=remote, name=name, root=roots[0] if roots else None)


def is_ancestor(repo: Path, older: str, newer: str) -> bool:
    """True when `older` is in the history of `newer` (so `older..newer` are exactly the new commits)."""
    return command.succeeds(repo, "merge-base", "--is-ancestor", older, newer)
