"""`evaluate --forward` without the scratch Neo4j: the same fits and figures on bundles read
straight from their files (`UsageGraph.from_bundle`), for a quick measurement.

Usage: python bench/forward_protocol.py TRAIN_BUNDLE TEST_BUNDLE [--seeds 3] [--ablation]
Build the pair with bench/forward_bundles.py. The test bundle's outcomes are dropped from its
graph before anything is fit and read apart for scoring, as `evaluate --forward` does.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from maestro_graph.ml.evaluation.bundle_evaluation import read_outcomes
from maestro_graph.ml.evaluation.forward import HEADLINE, VARIANTS, forward_evaluation
from maestro_graph.ml.evaluation.seed_summary import render_summary
from maestro_graph.ml.usage_graph import UsageGraph


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("train", type=Path)
    parser.add_argument("test", type=Path)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--ablation", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    train = UsageGraph.from_bundle(args.train)
    test = UsageGraph.from_bundle(args.test)
    test = test.with_edges(success=np.full(test.num_projects, np.nan))
    outcomes = read_outcomes(args.test)
    print(f"train {train.num_projects} projects, test {test.num_projects} ({len(outcomes)} outcomes)", flush=True)

    def on_run(seed: int, run: dict) -> None:
        run.pop("_scores", None)
        print(f"seed {seed} ({time.perf_counter() - started:.0f} s): {json.dumps(run['outcome'])}", flush=True)

    variants = tuple(VARIANTS) if args.ablation else HEADLINE
    result = forward_evaluation(train, test, outcomes, list(range(args.seeds)), variants, on_run=on_run)
    print(render_summary(result["summary"], args.seeds))
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
