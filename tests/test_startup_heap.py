"""A serving process hands the objects it built at start-up to no later garbage collection:
each full collection walked all of them while every request waited (bench/gc_freeze.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import TEST_DATA_DIR

# In a process of its own: freezing the test process's heap would keep every later test's
# garbage cycles that reference it.
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
