"""A class-data-sharing archive for the managed Neo4j's JVM: the classes a server start loads,
parsed and verified once, then mapped from one file by every later start and admin run.

Neo4j spends about 40 % of a start loading its classes: a start on 2 cores took 10.7 s without
the archive and 6.7 s with it (`python bench/neo4j_start.py`). The JVM writes the archive itself,
at the exit of a run started with `-XX:ArchiveClassesAtExit` (a "dynamic" archive, Java 13 and
later), so the first start of a fresh install runs the server once to record it.

The archive lives in `lib/` beside the jars it was made from: a reinstall (a changed pom) replaces
`lib/` and the archive with it, and a home whose `lib/` links another's jars shares the archive.
Its name carries the Java binary's identity, so another Java never maps it; and the JVM itself
checks the jars' names, sizes and times and ignores an archive that does not match (a warning
in the console log), so a stale archive costs only the time it would have saved.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

# "0" turns recording off (a start without an archive then just runs without one): the test suite
# sets it, so only the test server's install records one and the homes that link its jars share it.
RECORD_ENV = "MAESTRO_NEO4J_RECORD_CLASSES"
# JVM logging off on stdout (where the admin tool writes dumps and reports), warnings to stderr:
# an archive that cannot be mapped is a warning, never a corrupted output.
QUIET_LOGGING = ["-Xlog:disable", "-Xlog:all=warning:stderr"]


def _java_identity(java: str) -> str:
    real = Path(java).resolve()
    stat = real.stat()
    return hashlib.sha256(f"{real}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()).hexdigest()[:16]


def archive_path(lib: Path, java: str) -> Path:
    return lib / f".classes-{_java_identity(java)}.jsa"


def _recording_path(lib: Path, java: str) -> Path:
    return archive_path(lib, java).with_suffix(".recording")


def given_up_marker(lib: Path, java: str) -> Path:
    return archive_path(lib, java).with_suffix(".failed")


def should_record(lib: Path, java: str) -> bool:
    """No archive yet, no earlier recording failed (which would fail every start again), and
    recording is not turned off."""
    if os.environ.get(RECORD_ENV, "1") == "0":
        return False
    return not archive_path(lib, java).is_file() and not given_up_marker(lib, java).exists()


def jvm_flags(lib: Path, java: str, record: bool = False) -> list[str]:
    """The flags that map the archive, or (`record`) that write it when this JVM exits (an
    earlier, unfinished recording is removed first)."""
    if record:
        recording = _recording_path(lib, java)
        recording.unlink(missing_ok=True)
        return [*QUIET_LOGGING, f"-XX:ArchiveClassesAtExit={recording}"]
    archive = archive_path(lib, java)
    return [*QUIET_LOGGING, f"-XX:SharedArchiveFile={archive}"] if archive.is_file() else QUIET_LOGGING


def finish_recording(lib: Path, java: str, exited_cleanly: bool) -> bool:
    """After a recording JVM exited: keep what it wrote when it shut down normally (a killed JVM
    may leave a cut-short file), else remember not to try again. Answers whether it was kept."""
    recording = _recording_path(lib, java)
    if exited_cleanly and recording.is_file() and recording.stat().st_size > 0:
        os.replace(recording, archive_path(lib, java))
        return True
    # Each step on its own: a recording that cannot be removed must still be given up on.
    with contextlib.suppress(OSError):
        recording.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        given_up_marker(lib, java).touch()
    return False
