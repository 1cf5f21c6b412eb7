"""The data folder (MAESTRO_DATA_DIR) holds what must stay private to the service's user:
the managed Neo4j's store and transaction logs, its password, the key that seals secrets in
the graph. Whatever mode the files inside get, a folder only its owner can enter keeps
every other local user out of all of them.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_MODE = 0o700


class DataDirError(RuntimeError):
    """The folder cannot be made private (it belongs to someone else, or is shared like /tmp)."""


def ensure_private(path: Path) -> Path:
    """`path` as a folder only its owner can enter: created 0700, or stripped of the group's
    and others' permissions when it already exists."""
    path = Path(path)
    path.mkdir(mode=PRIVATE_MODE, parents=True, exist_ok=True)
    info = path.stat()
    mode = stat.S_IMODE(info.st_mode)
    if not mode & 0o077:
        return path
    # Tightening a folder others rely on (a sticky shared one like /tmp, or another user's)
    # would break it for them, and we could not keep them out of it anyway.
    if info.st_uid != os.geteuid() or info.st_mode & stat.S_ISVTX:
        raise DataDirError(f"{path} is shared with other users; point MAESTRO_DATA_DIR at a folder of your own")
    os.chmod(path, mode & PRIVATE_MODE)
    return path
