"""What each classic signal of the served link blends earns, and what it costs.

    python bench/link_signals.py [BUNDLE_DIR] [--seeds N] [--queries Q] [--no-ablation]
                                 [--catalogue N ...] [--people N ...]

Per seed, the held-out protocol's artifact and team splits (as `evaluate` draws them) are hidden
in one training graph; `ClassicLinkModel`, the blends `train` serves, is fit on it with every
signal, then once more per ablation with signals left out (an artifact signal and a team
signal at a time: the tasks' blends are fit separately, so one fit ablates one of each), and
measured on the test queries. Printed: the full blend and each ablation, mean ± sd over the
seeds, with the paired change (ablation minus full blend; a signal earns its place where
leaving it out loses more than the seeds' spread), and each signal's scoring cost per batch of
projects on the whole graph, which is what `train` pays for it.

`--catalogue` and `--people` size the blends' catalogues (the most used artifacts and the people
in the most projects that they rank; `signals.ARTIFACT_CATALOGUE` and `PERSON_CATALOGUE` by
default). Several pairs of sizes are each measured on the same splits, full blends only, with
the share of the graph's uses and memberships each catalogue holds; a size past the graph's
count ranks every artifact or person.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from maestro_graph.ml.evaluation import protocol
from maestro_graph.ml.text_embedding import MiniLMEmbedder
from maestro_graph.ml.training.features import text_vectors
from maestro_graph.ml.training.link_blends import ClassicLinkModel, classic_signals
from maestro_graph.ml.training.signals import (
    ARTIFACT_CATALOGUE,
    PERSON_CATALOGUE,
    artifact_catalogue,
    person_catalogue,
)
from maestro_graph.ml.training.train_command import BATCH
from maestro_graph.ml.usage_graph import UsageGraph

# Each ablation leaves out one artifact signal and one team signal (names both tasks share,
# popularity and text, go together).
ABLATIONS: tuple[frozenset[str], ...] = tuple(
    frozenset(names)
    for names in (
        ("ease", "artifact_overlap"),
        ("rp3beta", "co_membership"),
        ("item_knn", "co_membership_per_member"),
        ("peers_reuse",),
        ("section_popularity",),
        ("popularity",),
        ("text",),
    )
)
FIGURES = {"artifacts": ("recall@10", "ndcg@10"), "team": ("hit@10", "mrr")}


def measure(
    graph: UsageGraph,
    seed: int,
    queries: int,
    project_text,
    artifact_text,
    ablations: tuple[frozenset[str], ...],
    catalogues: list[tuple[int, int]],
) -> dict[str, dict]:
    """{variant: {task: {metric: value}}} for the full blend ("all") and each ablation, or, with
    several catalogue sizes (artifacts, people), the full blend at each."""
    art = protocol.artifact_split(graph, seed, queries)
    team = protocol.team_split(graph, seed, queries)
    joint = graph.with_edges(uses=art.train.uses, members=team.train.members)
    figures: dict[str, dict] = {}
    variants: list[tuple[str, frozenset[str], tuple[int, int]]]
    if len(catalogues) > 1:
        variants = [(_catalogue_name(sizes, graph), frozenset(), sizes) for sizes in catalogues]
    else:
        variants = [
            ("all" if not w else "without " + " / ".join(sorted(w)), w, catalogues[0])
            for w in (frozenset(), *ablations)
        ]
    for name, without, (artifacts, people) in variants:
        started = time.perf_counter()
        model = ClassicLinkModel(seed, without=without, catalogue_size=artifacts, people_size=people)
        model.fit(joint, project_text, artifact_text)
        figures[name] = {
            "artifacts": protocol.measure_artifacts(art, model.artifact_scores),
            "team": protocol.measure_team(team, model.person_scores),
        }
        print(f"  seed {seed} {name}: {_row(figures[name])} ({time.perf_counter() - started:.0f} s)", flush=True)
    return figures


def _catalogue_name(sizes: tuple[int, int], graph: UsageGraph) -> str:
    artifacts, people = sizes
    return (
        (f"{artifacts} artifacts" if artifacts < graph.num_artifacts else "every artifact")
        + " / "
        + (f"{people} people" if people < graph.num_people else "every person")
    )


def _row(variant: dict) -> str:
    return ", ".join(
        f"{task} {metric} {variant[task][metric]:.3f}" for task, names in FIGURES.items() for metric in names
    )


def signal_costs(graph: UsageGraph, project_text, artifact_text, batches: int = 5) -> dict[str, float]:
    """Seconds per batch of BATCH projects for each signal on the whole graph (mean of `batches`)."""
    signals = classic_signals(graph, project_text, artifact_text)
    rows = np.random.default_rng(0).permutation(graph.num_projects)[: batches * BATCH]
    costs = {}
    for task, named in (("artifacts", signals.artifacts), ("team", signals.team)):
        for name, signal in named.items():
            started = time.perf_counter()
            for start in range(0, len(rows), BATCH):
                signal(rows[start : start + BATCH])
            costs[f"{task} {name}"] = (time.perf_counter() - started) / batches
    return costs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("bundle", nargs="?", default=str(REPO_ROOT.parent / "shared" / "datasets" / "debian-bullseye"))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--queries", type=int, default=protocol.TEST_QUERIES)
    parser.add_argument("--no-ablation", action="store_true", help="measure the full blends only")
    parser.add_argument("--catalogue", type=int, nargs="+", default=[ARTIFACT_CATALOGUE], help="artifact catalogues")
    parser.add_argument("--people", type=int, nargs="+", help="people catalogues, one per --catalogue")
    args = parser.parse_args()
    people = args.people or [PERSON_CATALOGUE] * len(args.catalogue)
    if len(people) != len(args.catalogue):
        parser.error("--people takes one size per --catalogue size")
    catalogues = list(zip(args.catalogue, people, strict=True))
    graph = UsageGraph.from_bundle(args.bundle)
    uses = np.bincount(graph.uses[:, 1], minlength=graph.num_artifacts)
    memberships = np.bincount(graph.members[:, 0], minlength=graph.num_people)
    for artifacts, persons in catalogues:
        print(
            f"{_catalogue_name((artifacts, persons), graph)}: "
            f"{uses[artifact_catalogue(graph, artifacts)].sum() / uses.sum():.1%} of {uses.sum():,} uses, "
            f"{memberships[person_catalogue(graph, persons)].sum() / memberships.sum():.1%} of "
            f"{memberships.sum():,} memberships ({graph.num_artifacts:,} artifacts, {graph.num_people:,} people)"
        )
    started = time.perf_counter()
    project_text, artifact_text = text_vectors(graph, MiniLMEmbedder())
    print(f"text vectors: {time.perf_counter() - started:.0f} s (cached after the first run)", flush=True)

    ablations = () if args.no_ablation or len(catalogues) > 1 else ABLATIONS
    runs = [
        measure(graph, seed, args.queries, project_text, artifact_text, ablations, catalogues)
        for seed in range(args.seeds)
    ]
    print(f"\n{args.seeds} seeds, mean ± sd; change: paired difference from the full blend, mean ± sd\n")
    print("| blend | artifacts Recall@10 | NDCG@10 | team HitRate@10 | MRR |")
    print("| --- | --- | --- | --- | --- |")
    reference = next(iter(runs[0]))  # the full blend, or the first catalogue size
    for name in runs[0]:
        cells = []
        for task, metrics in FIGURES.items():
            for metric in metrics:
                values = np.array([run[name][task][metric] for run in runs])
                change = values - np.array([run[reference][task][metric] for run in runs])
                cell = f"{values.mean():.3f} ± {values.std():.3f}"
                if name != reference:
                    cell += f" ({change.mean():+.3f} ± {change.std():.3f})"
                cells.append(cell)
        print(f"| {name} | " + " | ".join(cells) + " |")

    print(f"\nscoring cost per batch of {BATCH} projects on the whole graph (s):")
    for name, seconds in signal_costs(graph, project_text, artifact_text).items():
        print(f"  {name}: {seconds:.3f}")


if __name__ == "__main__":
    main()
