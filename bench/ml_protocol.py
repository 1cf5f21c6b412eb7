"""Run the held-out ML protocol on a CSV bundle and print the figures.

Usage: python bench/ml_protocol.py [BUNDLE_DIR] [SEED] [--seeds N] [--baselines-only] [--encoder lightgcn|sage]
Default bundle: ../shared/datasets/debian-bullseye relative to the repository root.
`--seeds N` runs seeds SEED, SEED+1, ... SEED+N-1 (each a fresh split, fresh tuning of the
baselines and a fresh fit) and prints the mean ± standard deviation of every figure.
`--baselines-only` skips the text embedding and the network (minutes) and measures the classic
baselines and the served (inductive) outcome model alone. `--encoder sage` runs the same
protocol with the GraphSAGE encoder in place of the default LightGCN-style propagation, for the
comparison in the README.
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

from maestro_graph.ml.evaluation.evaluate import evaluate_seeds, render_markdown
from maestro_graph.ml.evaluation.seed_summary import render_summary
from maestro_graph.ml.training.maestro_model import ModelConfig
from maestro_graph.ml.usage_graph import UsageGraph


def _print_run(seed: int, results: dict) -> None:
    """One seed's figures as soon as it finishes, with its timings, tuning, blend weights, impacts."""
    print(f"\nseed {seed}:\n{render_markdown(results)}")
    timings = results["timings"]
    print("  timings (s): " + ", ".join(f"{name} {value:.1f}" for name, value in timings.items()))
    history = results.get("validation_history") or []
    if history:
        print(f"  encoder epochs {history[-1]['epoch']} (stops on epochs and validation patience only)")
    if "blend_weights" in results:
        print("  blend weights:", json.dumps(results["blend_weights"], indent=None, default=float))
    if "impact_top" in results:
        print("  highest-impact artifacts:", ", ".join(f"{a} {v:+.4f}" for a, v in results["impact_top"][:5]))
        print("  lowest-impact artifacts:", ", ".join(f"{a} {v:+.4f}" for a, v in results["impact_bottom"][:5]))
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "bundle", nargs="?", type=Path, default=REPO_ROOT.parent / "shared" / "datasets" / "debian-bullseye"
    )
    parser.add_argument("seed", nargs="?", type=int, default=0)
    parser.add_argument("--seeds", type=int, default=1, help="how many consecutive seeds, from SEED")
    parser.add_argument("--baselines-only", action="store_true", help="measure the classic baselines alone")
    parser.add_argument("--encoder", choices=("lightgcn", "sage"), default="lightgcn")
    parser.add_argument("--json", type=Path, help="also write every run's figures to this file")
    args = parser.parse_args(argv[1:])
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    started = time.perf_counter()
    graph = UsageGraph.from_bundle(args.bundle)
    load_s = time.perf_counter() - started
    config = ModelConfig(seed=args.seed, ablate_network=True)
    config.train.kind = args.encoder
    seeds = list(range(args.seed, args.seed + args.seeds))
    model = "baselines only" if args.baselines_only else f"encoder: {args.encoder}"
    print(f"bundle: {args.bundle}  seeds: {', '.join(map(str, seeds))}  {model}")
    print(
        f"projects {graph.num_projects}, artifacts {graph.num_artifacts}, people {graph.num_people}, "
        f"uses {len(graph.uses)}, members {len(graph.members)}; load {load_s:.1f} s"
    )
    sys.stdout.flush()
    outcome = evaluate_seeds(graph, seeds, on_run=_print_run, config=config, with_model=not args.baselines_only)
    print(f"\nall seeds:\n{render_summary(outcome['summary'], len(seeds))}")
    if args.json:
        args.json.write_text(json.dumps(outcome, default=float, indent=2))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"total wall {time.perf_counter() - started:.1f} s; peak memory {peak_mib:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
