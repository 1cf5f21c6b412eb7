"""A live server on a free loopback port, in a process of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from maestro_graph.db.connection import Neo4jTarget
from maestro_graph.net import free_loopback_port

# A cost budget no benchmark run reaches: the benchmarks measure serving, not the per-client
# cost limit (tests/test_hardening.py holds that).
UNLIMITED_BUDGET = {"MAESTRO_COST_BUDGET_PER_MINUTE": "1000000000"}


class ServerProcess:
    """`maestro-graph serve --dev` in a process of its own (so the client measuring it does not
    share its interpreter), against `target` — or, with `target=None`, the managed Neo4j of
    `data_dir` on `managed_ports`, started by `serve` itself if it is not running — with extra
    MAESTRO_* settings in `env`. `app` serves another ASGI app (module:attribute) instead."""

    def __init__(
        self,
        target: Neo4jTarget | None,
        data_dir: Path,
        env: dict[str, str] | None = None,
        app: str | None = None,
        managed_ports: tuple[int, int] = (7687, 7474),
    ):
        self.port = free_loopback_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {key: value for key, value in os.environ.items() if not key.startswith("NEO4J_")}
        environment.update(MAESTRO_DATA_DIR=str(data_dir), MAESTRO_LOG_LEVEL="WARNING", **(env or {}))
        # The code of this checkout, whatever copy of the package the interpreter has installed.
        root = str(Path(__file__).resolve().parents[1])
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, [root, environment.get("PYTHONPATH")]))
        if target is not None:
            environment.update(
                NEO4J_URI=target.uri,
                NEO4J_USER=target.user,
                NEO4J_PASSWORD=target.password,
                NEO4J_DATABASE=target.database,
            )
        else:
            environment.update(
                MAESTRO_NEO4J_BOLT_PORT=str(managed_ports[0]), MAESTRO_NEO4J_HTTP_PORT=str(managed_ports[1])
            )
        if app is None:
            command = [sys.executable, "-m", "maestro_graph.cli", "serve", "--dev", "--port", str(self.port)]
        else:
            command = [sys.executable, "-m", "uvicorn", app, "--port", str(self.port), "--log-level", "warning"]
        self.launched = time.monotonic()
        self.process = subprocess.Popen(
            command, env=environment, stdout=subprocess.DEVNULL, cwd=Path(__file__).resolve().parent
        )

    def wait_for(self, path: str, timeout_s: float = 300) -> float:
        """Poll `path` until it answers 200; seconds since the process was launched."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}{path}", timeout=1).status_code == 200:
                    return time.monotonic() - self.launched
            except httpx.HTTPError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"{path} did not answer 200 within {timeout_s} s")

    def __enter__(self) -> ServerProcess:
        self.wait_for("/healthz", 120)
        return self

    def __exit__(self, *exc) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
