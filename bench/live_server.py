"""A live uvicorn serving the app on a free loopback port: in a thread of the benchmark, or in
a process of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from maestro_graph.app import create_app
from maestro_graph.config import Settings
from maestro_graph.db.connection import Neo4jTarget
from maestro_graph.net import free_loopback_port


def serve(target: Neo4jTarget, data_dir: Path) -> tuple[uvicorn.Server, str]:
    """Start the dev-profile app against `target`; returns the server and its /graphql URL."""
    port = free_loopback_port()
    app = create_app(Settings(profile="dev", data_dir=data_dir), target)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}/graphql"



class ServerProcess:
    """`maestro-graph serve --dev` in a process of its own (so the client measuring it does not
    share its interpreter), against `target`, with extra MAESTRO_* settings in `env`."""

    def __init__(self, target: Neo4jTarget, data_dir: Path, env: dict[str, str] | None = None,
                 app: str | None = None):
        self.port = free_loopback_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = dict(os.environ, NEO4J_URI=target.uri, NEO4J_USER=target.user, NEO4J_PASSWORD=target.password,
                           NEO4J_DATABASE=target.database, MAESTRO_DATA_DIR=str(data_dir), MAESTRO_LOG_LEVEL="WARNING",
                           **(env or {}))
        if app is None:
            command = [sys.executable, "-m", "maestro_graph.cli", "serve", "--dev", "--port", str(self.port)]
        else:  # another ASGI app (module:attribute), e.g. the hand-written Cypher endpoint
            command = [sys.executable, "-m", "uvicorn", app, "--port", str(self.port), "--log-level", "warning"]
        self.process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL,
                                        cwd=Path(__file__).resolve().parent)

    def __enter__(self) -> "ServerProcess":
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("the server did not become healthy within 120 s")

    def __exit__(self, *exc) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
