"""A live uvicorn serving the app on a free loopback port, in a thread of the benchmark."""

from __future__ import annotations

import threading
import time
from pathlib import Path

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

