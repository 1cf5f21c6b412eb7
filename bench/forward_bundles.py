"""Derive a (train, test) pair of CSV bundles from one snapshot, for `evaluate --forward`
(see maestro_graph/ml/evaluation/snapshot_split.py for how the projects are split).

Usage: python bench/forward_bundles.py [BUNDLE_DIR] OUT_DIR [--seed N] [--test-share 0.5]
Default bundle: ../shared/datasets/debian-bullseye relative to the repository root.
Writes OUT_DIR/train and OUT_DIR/test, then prints the command that measures the pair.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from maestro_graph.ml.evaluation.snapshot_split import derive

DEFAULT_BUNDLE = REPO_ROOT.parent / "shared" / "datasets" / "debian-bullseye"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", help="[BUNDLE_DIR] OUT_DIR")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--test-share", type=float, default=0.5)
    args = parser.parse_args()
    bundle, out = (DEFAULT_BUNDLE, Path(args.paths[0])) if len(args.paths) == 1 else map(Path, args.paths[:2])
    counts = derive(Path(bundle), Path(out), args.seed, args.test_share)
    print(counts)
    print(f"maestro-graph evaluate --forward {out}/train {out}/test --seeds 3", file=sys.stderr)


if __name__ == "__main__":
    main()
