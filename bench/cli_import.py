"""`maestro-graph import BUNDLE` run as a user runs it (a process of its own, against a managed
Neo4j), with what it printed, its wall clock and its peak memory; and the small process readings
the import and scale benchmarks share."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from maestro_graph.db import managed_neo4j

ROOT = Path(__file__).resolve().parents[1]
_PRINTED = re.compile(r"(\d+) rows in ([\d.]+) s")


@dataclass(frozen=True)
class CliImport:
    rows: int
    seconds: float  # as the command prints it: its import alone
    wall_seconds: float  # the whole command: start-up, connection, migrations, import, report
    peak_rss_kib: int

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds

    def describe(self) -> str:
        return (
            f"{self.seconds:.1f} s, {self.rows_per_second:,.0f} rows/s "
            f"(command: {self.wall_seconds:.1f} s, {self.rows / self.wall_seconds:,.0f} rows/s)"
        )


def gib(kib: float) -> str:
    return f"{kib / 1024 / 1024:.2f} GiB" if kib >= 1024 * 1024 else f"{kib / 1024:.0f} MiB"


def neo4j_pid(data_dir: Path) -> int:
    return int((data_dir / "neo4j" / "neo4j.pid").read_text())


def peak_rss_kib(pid: int) -> int:
    """The process's peak resident set so far (VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def fresh(data_dir: Path) -> None:
    """No server and no data under `data_dir`."""
    managed_neo4j.stop(data_dir)
    shutil.rmtree(data_dir, ignore_errors=True)


def cli_import(bundle: Path, data_dir: Path, bolt_port: int, http_port: int) -> CliImport:
    env = {key: value for key, value in os.environ.items() if not key.startswith("NEO4J_")}
    env.update(
        MAESTRO_DATA_DIR=str(data_dir),
        MAESTRO_NEO4J_BOLT_PORT=str(bolt_port),
        MAESTRO_NEO4J_HTTP_PORT=str(http_port),
        PYTHONPATH=str(ROOT),  # this checkout's code, whatever copy the interpreter has installed
        COLUMNS="200",
    )
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "maestro_graph.cli", "import", str(bundle)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # VmHWM read while it runs: the rusage of a child started by vfork counts its parent's pages.
    peak = 0

    def watch() -> None:
        nonlocal peak
        while proc.poll() is None:
            with contextlib.suppress(OSError):
                peak = max(peak, peak_rss_kib(proc.pid))
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    output, _ = proc.communicate()
    wall = time.perf_counter() - started
    watcher.join()
    printed = _PRINTED.search(output)
    if proc.returncode != 0 or printed is None:
        raise RuntimeError(f"maestro-graph import failed ({proc.returncode}):\n{output[-3000:]}")
    return CliImport(int(printed.group(1)), float(printed.group(2)), wall, peak)


def thread_cpu_seconds(pid: int) -> dict[str, float]:
    """CPU seconds of each kind of thread of a process, by thread name with its digits taken out
    (so Neo4j's `C2 CompilerThre`/`C1 CompilerThre` become one kind: the JIT compilers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    seconds: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        kind = re.sub(r"\d+", "#", name)
        seconds[kind] = seconds.get(kind, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return seconds


def neo4j_cpu_split(before: dict[str, float], after: dict[str, float]) -> str:
    """Where Neo4j's CPU went between two readings: the JIT compilers, the Bolt workers that run
    the queries, and the rest."""
    spent = {kind: after[kind] - before.get(kind, 0.0) for kind in after}  # threads that ended count 0
    jit = spent.get("C# CompilerThre", 0.0)
    bolt = spent.get("neo#j.BoltWorke", 0.0)
    total = sum(spent.values())
    return f"{total:.1f} s: JIT compilers {jit:.1f} s, query workers {bolt:.1f} s, other {total - jit - bolt:.1f} s"
