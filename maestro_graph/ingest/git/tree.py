"""Files of one commit's tree, read from the object store (so bare repositories work, and
uncommitted edits in a work tree are not mistaken for the project's state)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from maestro_graph.ingest.git import command

# Folders of other people's code checked into a repository: their manifests are not ours.
VENDORED = frozenset(
    {
        "node_modules",
        "site-packages",
        ".venv",
        "venv",
        "vendor",
        "third_party",
        ".tox",
        "bower_components",
        "__pypackages__",
    }
)


@dataclass(frozen=True)
class TreeFile:
    path: str
    oid: str
    size: int


def list_files(repo: Path, commit: str) -> list[TreeFile]:
    """Every blob in the commit's tree (submodules and symlinks left out), vendored folders skipped."""
    out = command.run(repo, "ls-tree", "-r", "-z", "-l", "--full-tree", commit)
    files = []
    for entry in out.split(b"\0"):
        if not entry:
            continue
        meta, _, raw_path = entry.partition(b"\t")
        mode, kind, oid, size = meta.split()
        # 120000 is a symlink: its blob is a path, not content.
        if kind != b"blob" or mode == b"120000" or not size.isdigit():
            continue
        path = raw_path.decode("utf-8", "replace")
        if VENDORED.intersection(path.split("/")[:-1]):
            continue
        files.append(TreeFile(path, oid.decode(), int(size)))
    return files


def read_texts(
    repo: Path, files: list[TreeFile], wanted: Callable[[TreeFile], bool], max_file_bytes: int, max_total_bytes: int
) -> dict[str, str]:
    """Contents of the wanted files as text, in one `git cat-file --batch`; files over the
    size limits and binary files are left out."""
    chosen: list[TreeFile] = []
    total = 0
    for file in files:
        if file.size <= max_file_bytes and wanted(file) and total + file.size <= max_total_bytes:
            chosen.append(file)
            total += file.size
    if not chosen:
        return {}
    out = command.run(repo, "cat-file", "--batch", input_bytes="".join(f"{f.oid}\n" for f in chosen).encode())
    texts: dict[str, str] = {}
    offset = 0
    for file in chosen:
        header_end = out.index(b"\n", offset)
        header = out[offset:header_end].split()
        if len(header) != 3 or not header[2].isdigit():  # "<oid> missing": no content follows
            offset = header_end + 1
            continue
        size = int(header[2])
        body = out[header_end + 1 : header_end + 1 + size]
        offset = header_end + 1 + size + 1  # the content is followed by a newline
        if b"\0" in body[:8000]:
            continue
        texts[file.path] = body.decode("utf-8", "replace")
    return texts
