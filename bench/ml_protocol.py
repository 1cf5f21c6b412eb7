"""Run the held-out ML protocol on a CSV bundle and print the figures.

Usage: python bench/ml_protocol.py [BUNDLE_DIR] [SEED]
Default bundle: ../shared/datasets/debian-bullseye relative to the repository root.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from maestro_graph.ml.evaluate import evaluate, render_markdown  # noqa: E402
from maestro_graph.ml.usage_graph import UsageGraph  # noqa: E402


def main(argv: list[str]) -> int:
    bundle = Path(argv[1]) if len(argv) > 1 else REPO_ROOT.parent / "shared" / "datasets" / "debian-bullseye"
    seed = int(argv[2]) if len(argv) > 2 else 0
    started = time.perf_counter()
    graph = UsageGraph.from_bundle(bundle)
    load_s = time.perf_counter() - started
    results = evaluate(graph, seed=seed)
    print(f"bundle: {bundle}  seed: {seed}")
    print(f"projects {graph.num_projects}, artifacts {graph.num_artifacts}, people {graph.num_people}, "
          f"uses {len(graph.uses)}, members {len(graph.members)}\n")
    print(render_markdown(results))
    timings = results["timings"]
    print(f"\nload {load_s:.1f} s; text embedding {timings['text_embedding_s']:.1f} s; "
          f"baselines {timings['baselines_s']:.1f} s; model train (all three tasks) {timings['model_train_s']:.1f} s "
          f"(encoder {timings['model_encoder_s']:.1f} s); impact {timings['impact_s']:.1f} s")
    history = results.get("validation_history") or []
    if history:
        print(f"encoder epochs {history[-1]['epoch']} (stops on epochs and validation patience only)")
    if "blend_weights" in results:
        print("blend weights:", json.dumps(results["blend_weights"], indent=None, default=float))
    print("highest-impact artifacts:", ", ".join(f"{a} {v:+.4f}" for a, v in results["impact_top"][:5]))
    print("lowest-impact artifacts:", ", ".join(f"{a} {v:+.4f}" for a, v in results["impact_bottom"][:5]))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"total wall {time.perf_counter() - started:.1f} s; peak memory {peak_mib:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
