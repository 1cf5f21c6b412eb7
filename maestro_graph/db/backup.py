"""`maestro-graph backup FILE` and `restore FILE`: a consistent copy of the managed Neo4j's
database, made and read back by Neo4j's own `neo4j-admin database dump` and `load`.

Both need the store to themselves: Neo4j Community cannot take one database offline, so the
managed server stops for the moment they take and starts again on the same ports
(`managed_neo4j.offline`). The archive is Neo4j's dump format, readable by any Neo4j 5 of
the same or a later version (Aura and Enterprise included).

A restore first loads the archive into a scratch store beside the server, while the server
keeps serving: an archive that is truncated or corrupt, or not a dump at all, is refused
there and the graph is never touched. Only a complete archive replaces the database.
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from maestro_graph.db import managed_neo4j

# The last lines of neo4j-admin's own report are what names the cause.
_REPORT_LINES = 12
_SCRATCH = "restore-check"


class BackupError(RuntimeError):
    """A backup or restore could not be made; the message says why and what was left as it was."""


@dataclass(frozen=True)
class BackupReport:
    path: Path
    bytes: int


def _report(output: str) -> str:
    lines = [line for line in output.strip().splitlines() if line.strip()]
    return "\n".join(lines[-_REPORT_LINES:])


def backup(data_dir: Path, database: str, file: Path) -> BackupReport:
    """Dump `database` of the managed Neo4j into `file`, a new file (mode 0600: it holds the
    whole graph). Written beside it first and renamed, so `file` is either complete or absent."""
    file = Path(file)
    if os.path.lexists(file):
        raise BackupError(f"{file} already exists; name a new file (backups are never overwritten)")
    if not file.parent.is_dir():
        raise BackupError(f"{file.parent} is not a folder")
    if not managed_neo4j.store_exists(data_dir, database):
        raise BackupError(f"the managed Neo4j in {data_dir} has no database {database!r} to back up yet")
    partial = file.with_name(f".{file.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise BackupError(f"cannot write {partial}: {error.strerror}") from None
    try:
        with managed_neo4j.offline(data_dir) as admin:
            proc = admin.run(["database", "dump", database, "--to-stdout"], stdout=fd)
    finally:
        os.close(fd)
    if proc.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"neo4j-admin could not dump {database!r}:\n{_report(proc.stderr.decode(errors='replace'))}")
    partial.rename(file)
    return BackupReport(file, file.stat().st_size)


def _open_archive(file: Path) -> int:
    """A descriptor on `file`, which must be a regular file (not a link, folder or FIFO)."""
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        raise BackupError(f"cannot read {file}: {error.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise BackupError(f"{file} is not a regular file")
    os.set_blocking(fd, True)
    return fd


def _load(admin: managed_neo4j.AdminTool, database: str, file: Path) -> str | None:
    """Load `file` over `database` in the admin tool's home; None when it worked, else the reason."""
    fd = _open_archive(file)
    try:
        proc = admin.run(["database", "load", database, "--from-stdin", "--overwrite-destination"], stdin=fd)
    finally:
        os.close(fd)
    return None if proc.returncode == 0 else _report(proc.stderr + proc.stdout)


def check_archive(data_dir: Path, database: str, file: Path) -> None:
    """Load `file` into a scratch store (never the server's): raises BackupError when it is not a
    whole, readable dump."""
    admin = managed_neo4j.admin_tool(data_dir)
    scratch = admin.home / _SCRATCH
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        problem = _load(admin.for_home(scratch), database, file)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if problem is not None:
        raise BackupError(
            f"{file} is not a complete Neo4j dump (truncated or corrupt?); nothing was changed:\n{problem}"
        )


def restore(data_dir: Path, database: str, file: Path) -> None:
    """Replace `database` of the managed Neo4j with the archive in `file`, once that archive has
    been shown whole (see `check_archive`). Whether the graph may be replaced is the caller's call."""
    check_archive(data_dir, database, file)
    with managed_neo4j.offline(data_dir) as admin:
        problem = _load(admin, database, file)
    if problem is not None:
        raise BackupError(f"neo4j-admin could not load {file}:\n{problem}")
