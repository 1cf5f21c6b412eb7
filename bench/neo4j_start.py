"""How long the managed Neo4j takes to start, with its class archive (db/class_archive.py) and
without it, in the same run.

    python bench/neo4j_start.py [--rounds N]

Makes a scratch data dir whose `lib/` links the jars of the test server's install
(~/.cache/maestro-graph/test-data, made by `bin/dev test`), starts it once (the start that records
the archive, timed on its own), then alternates starts with and without the archive, each
followed by a stop, and prints the median of each beside the ratio. Start means launch until
both Bolt and HTTP answer, what `maestro-graph neo4j start` waits for.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from maestro_graph.db import class_archive, managed_neo4j
from maestro_graph.net import free_loopback_port

INSTALLED_LIB = Path.home() / ".cache" / "maestro-graph" / "test-data" / "neo4j" / "lib"


def timed_start(data_dir: Path) -> tuple[float, float]:
    """Seconds to start, then to stop."""
    started = time.perf_counter()
    managed_neo4j.start(data_dir, bolt_port=free_loopback_port(), http_port=free_loopback_port())
    ready = time.perf_counter()
    managed_neo4j.stop(data_dir)
    return ready - started, time.perf_counter() - ready


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not (INSTALLED_LIB / ".stamp").is_file():
        raise SystemExit(f"no Neo4j install at {INSTALLED_LIB}: run `bin/dev test` (or `bin/dev setup`) first")

    with tempfile.TemporaryDirectory(prefix="neo4j-start-") as scratch:
        data_dir = Path(scratch) / "data"
        lib = data_dir / "neo4j" / "lib"
        lib.parent.mkdir(parents=True, mode=0o700)
        lib.mkdir()
        for jar in INSTALLED_LIB.iterdir():  # the jars only: this run records its own archive
            if jar.suffix == ".jar" or jar.name == ".stamp":
                os.link(jar, lib / jar.name)
        os.chmod(data_dir, 0o700)
        java = managed_neo4j.java_binary()
        archive = class_archive.archive_path(lib, java)

        first_start, first_stop = timed_start(data_dir)
        print(f"first start of a fresh install (records the archive): {first_start:.1f} s, stop {first_stop:.1f} s")
        if not archive.is_file():
            raise SystemExit("no class archive was recorded; see the console log")
        kept = archive.with_suffix(".kept")
        times: dict[str, list[float]] = {"with the archive": [], "without": []}
        for _ in range(args.rounds):
            times["with the archive"].append(timed_start(data_dir)[0])
            os.replace(archive, kept)
            class_archive.given_up_marker(lib, java).touch()  # a start without it, not a new recording
            times["without"].append(timed_start(data_dir)[0])
            class_archive.given_up_marker(lib, java).unlink()
            os.replace(kept, archive)
        base = statistics.median(times["without"])
        print(f"{'start':18} {'median s':>9} {'runs':>28} {'vs without':>11}")
        for name, runs in times.items():
            median = statistics.median(runs)
            print(f"{name:18} {median:9.1f} {' '.join(f'{r:.1f}' for r in runs):>28} {median / base:10.2f}x")
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
