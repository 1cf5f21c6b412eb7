"""Run the held-out ML protocol on a CSV bundle and print the figures.

Usage: python bench/ml_protocol.py [BUNDLE_DIR] [SEED] [--encoder lightgcn|sage]
Default bundle: ../shared/datasets/debian-bullseye relative to the repository root.
`--encoder sage` runs the same protocol with the GraphSAGE encoder in place of the default
LightGCN-style propagation, for the comparison in the README.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from maestro_graph.ml.evaluation.evaluate import evaluate, render_markdown
from maestro_graph.ml.training.maestro_model import ModelConfig
from maestro_graph.ml.usage_graph import UsageGraph


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "bundle", nargs="?", type=Path, default=REPO_ROOT.parent / "shared" / "datasets" / "debian-bullseye"
    )
    parser.add_argument("seed", nargs="?", type=int, default=0)
    parser.add_argument("--encoder", choices=("lightgcn", "sage"), default="lightgcn")
    args = parser.parse_args(argv[1:])
    bundle, seed = args.bundle, args.seed
    started = time.perf_counter()
    graph = UsageGraph.from_bundle(bundle)
    load_s = time.perf_counter() - started
    config = ModelConfig(seed=seed)
    config.train.kind = args.encoder
    results = evaluate(graph, seed=seed, config=config)
    print(f"bundle: {bundle}  seed: {seed}  encoder: {args.encoder}")
    print(
        f"projects {graph.num_projects}, artifacts {graph.num_artifacts}, people {graph.num_people}, "
        f"uses {len(graph.uses)}, members {len(graph.members)}\n"
    )
    print(render_markdown(results))
    timings = results["timings"]
    print(
        f"\nload {load_s:.1f} s; text embedding {timings['text_embedding_s']:.1f} s; "
        f"baselines {timings['baselines_s']:.1f} s; model train (all three tasks) {timings['model_train_s']:.1f} s "
        f"(encoder {timings['model_encoder_s']:.1f} s); impact {timings['impact_s']:.1f} s"
    )
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
