"""The peer of bench/graphql_vs_cypher.py: @neo4j/graphql + graphql-yoga on Node, over the same
Neo4j, from a checkout of the peer benchmark (its README has the setup).

The peer is a benchmark-only side: its server and lock file stay in the peer's folder; this
module copies them into a cache folder, installs them there with `npm ci` from the lock file
(once, again when the lock file changes), starts `node server.mjs`, and borrows the peer's own
documents and answer shapes (its run.py) so both APIs are asked for the same data and their
answers can be compared before anything is timed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import httpx

from maestro_graph.db.connection import Neo4jTarget
from maestro_graph.net import free_loopback_port

ROOT = Path(__file__).resolve().parents[1]
INSTALL_DIR = Path.home() / ".cache" / "maestro-graph" / "peer-bench"
_FILES = ("package.json", "package-lock.json", "server.mjs")


def peer_module(source: Path) -> ModuleType:
    """The peer's run.py: its GraphQL documents (PEER), variables and canonical answers."""
    os.environ.setdefault("MAESTRO_ROOT", str(ROOT))
    spec = importlib.util.spec_from_file_location("peer_run", source / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def install(source: Path, into: Path = INSTALL_DIR) -> Path:
    """The peer's server installed in `into` from its committed lock file."""
    into.mkdir(parents=True, exist_ok=True)
    lock = (source / "package-lock.json").read_bytes()
    stamp = into / ".installed-lock-sha256"
    wanted = hashlib.sha256(lock).hexdigest()
    for name in _FILES:
        shutil.copyfile(source / name, into / name)
    if not (into / "node_modules").is_dir() or not stamp.exists() or stamp.read_text() != wanted:
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=into, check=True)
        stamp.write_text(wanted)
    return into


class PeerServer:
    """`node server.mjs` on a free loopback port against `target`."""

    def __init__(self, source: Path, target: Neo4jTarget):
        folder = install(source)
        self.port = free_loopback_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {
            **os.environ,
            "NEO4J_URI": target.uri,
            "NEO4J_USER": target.user,
            "NEO4J_PASSWORD": target.password,
            "NEO4J_DATABASE": target.database,
            "PEER_PORT": str(self.port),
        }
        self.process = subprocess.Popen(["node", "server.mjs"], cwd=folder, env=environment, stdout=subprocess.DEVNULL)

    def __enter__(self) -> PeerServer:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the peer exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("the peer did not start within 120 s")

    def __exit__(self, *exc) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def node_available() -> bool:
    return shutil.which("node") is not None and shutil.which("npm") is not None


if __name__ == "__main__":  # install only: python bench/peer_side.py PEER_DIR
    print(install(Path(sys.argv[1])))
