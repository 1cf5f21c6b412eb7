"""A serving process hands the objects it built at start-up to no later garbage collection:
each full collection walked all of them while every request waited (bench/gc_freeze.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
from conftest import TEST_DATA_DIR

from maestro_graph.net import free_loopback_port

# In a process of its own: frozen objects are never collected, so freezing the test process's
# heap would keep whatever cycles it holds for the rest of the run.
_PROBE = """
import gc, json
from maestro_graph.serving import worker_app
before = len(gc.get_objects())
app = worker_app()
print(json.dumps({"tracked_before": before, "frozen": gc.get_freeze_count(), "tracked_after": len(gc.get_objects()),
                  "app_routes": len(app.routes)}))
"""


def test_a_worker_app_is_built_then_its_startup_heap_frozen() -> None:
    env = {**os.environ, "MAESTRO_DATA_DIR": str(TEST_DATA_DIR), "MAESTRO_PROFILE": "dev"}
    done = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["app_routes"] > 0
    # Everything the app's construction made (the schema alone is tens of thousands of
    # objects) is frozen; the collector is left with what requests will make.
    assert probe["frozen"] > probe["tracked_before"] > 10_000
    assert probe["tracked_after"] < 1_000


def test_serve_with_two_workers_answers_through_the_worker_app(neo4j_target, tmp_path) -> None:
    """`serve --workers 2` builds each worker's app with `worker_app`: both start and answer."""
    port = free_loopback_port()
    env = {
        **os.environ,
        "MAESTRO_DATA_DIR": str(tmp_path),
        "NEO4J_URI": neo4j_target.uri,
        "NEO4J_USER": neo4j_target.user,
        "NEO4J_PASSWORD": neo4j_target.password,
        "NEO4J_DATABASE": neo4j_target.database,
        "MAESTRO_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "maestro_graph.cli", "serve", "--dev", "--port", str(port), "--workers", "2"]
    log = tmp_path / "serve.log"
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log.open("w"))
    try:
        deadline = time.monotonic() + 90
        reply = None
        while reply is None:
            assert time.monotonic() < deadline, "serve --workers 2 did not answer within 90 s"
            assert server.poll() is None, log.read_text()
            try:
                reply = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ __typename }"}, timeout=10)
            except httpx.TransportError:
                time.sleep(0.2)
        assert reply.status_code == 200
        assert reply.json()["data"] == {"__typename": "Query"}
    finally:
        server.terminate()
        server.wait(30)
