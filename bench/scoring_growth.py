"""How the cost of the link rankers grows with the graph, every size in one process and one run.

    python bench/scoring_growth.py [--sizes 1,2,4,16] [--every-item-sizes 1,2] [--rounds 1] [--coverage-only]
                                   [--signal-times]

Per size (debian-bullseye, grown by bench/grow_bundle.py as bench/scale.py grows it) and per
round: fit `ClassicLinkModel` as `train` does, then build every project's top artifacts and
people exactly as `train` builds the rows it publishes (`artifact_rows`, `team_rows`: scoring,
top-k, the `because` of each recommendation), timed apart. That is the part of `train` whose
growth was measured superlinear; writing the rows to Neo4j costs per row, and `bench/scale.py`
times it with the rest.

The rankers run with the catalogues `train` uses (the `signals.ARTIFACT_CATALOGUE` most used
artifacts, the `PERSON_CATALOGUE` people in the most projects) and, on the sizes of
--every-item-sizes, ranking every artifact and every person (what `train` did before the
catalogues), so both growths come from the same run. Sizes are measured in the order
given, round after round; a machine that changes speed shows as rounds that disagree.

No Neo4j and no sentence encoder: the text vectors are seeded random unit vectors of the
encoder's width. What a signal costs follows the graph's structure and the vectors' width, not
their values, so the timings are those of real vectors; the rankings are not meaningful.
`--coverage-only` prints, per size, what the catalogues hold (the share of the graph's uses on
the artifact catalogue, the people of the people catalogue), and measures nothing.
`--signal-times` prints, per size, the seconds each signal of each blend takes to score every
project in the batches `train` scores them in (the signals alone, not the blend's standardising
or the top-k), to find which one grows faster than the graph.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from scale import Place, bundle_for

from maestro_graph.ml.training.link_blends import ClassicLinkModel, classic_signals
from maestro_graph.ml.training.signals import ARTIFACT_CATALOGUE, PERSON_CATALOGUE, artifact_catalogue, person_catalogue
from maestro_graph.ml.training.train_command import BATCH, artifact_rows, team_rows
from maestro_graph.ml.usage_graph import UsageGraph

SEED = 0
CATALOGUES = (ARTIFACT_CATALOGUE, PERSON_CATALOGUE)
TEXT_WIDTH = 384  # all-MiniLM-L6-v2's vectors (cypher/migrations/0003_vector_indexes.cypher)
EVERY_ITEM = 10**9  # a catalogue size no graph reaches: every artifact, every person is ranked


def random_text(count: int, width: int, rng: np.random.Generator) -> np.ndarray:
    vectors = rng.standard_normal((count, width)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def seeded_texts(graph: UsageGraph) -> tuple[np.ndarray, np.ndarray]:
    """Random unit text vectors of the encoder's width for the projects and the artifacts."""
    rng = np.random.default_rng(SEED)
    return random_text(graph.num_projects, TEXT_WIDTH, rng), random_text(graph.num_artifacts, TEXT_WIDTH, rng)


def measure(graph: UsageGraph, catalogue: int, people: int) -> dict[str, float]:
    """Seconds to fit the rankers and to build every project's artifact and team rows."""
    project_text, artifact_text = seeded_texts(graph)
    figures = {}
    started = time.perf_counter()
    model = ClassicLinkModel(SEED, catalogue_size=catalogue, people_size=people)
    model.fit(graph, project_text, artifact_text)
    figures["fit"] = time.perf_counter() - started
    for name, rows in (("artifacts", artifact_rows), ("team", team_rows)):
        started = time.perf_counter()
        published = sum(len(block) for block in rows(graph, model))
        figures[name] = time.perf_counter() - started
        figures[f"{name} rows"] = published
    return figures


def signal_seconds(graph: UsageGraph) -> dict[str, dict[str, float]]:
    """Seconds each signal of each blend takes over every project, in `train`'s batches."""
    signals = classic_signals(graph, *seeded_texts(graph))
    projects = np.arange(graph.num_projects)
    seconds: dict[str, dict[str, float]] = {}
    for task, task_signals in (("artifacts", signals.artifacts), ("team", signals.team)):
        seconds[task] = dict.fromkeys(task_signals, 0.0)
        for start in range(0, len(projects), BATCH):
            block = projects[start : start + BATCH]
            for name, signal in task_signals.items():
                started = time.perf_counter()
                signal(block)
                seconds[task][name] += time.perf_counter() - started
    return seconds


def print_signal_times(graphs: dict[int, UsageGraph], sizes: list[int]) -> None:
    timed = {factor: signal_seconds(graphs[factor]) for factor in sizes}
    base = timed[sizes[0]]
    print(f"\nseconds per signal over every project; growth against {sizes[0]}x in brackets\n")
    print("| task | signal | " + " | ".join(f"{factor}x" for factor in sizes) + " |")
    print("| --- | --- |" + " --- |" * len(sizes))
    for task, names in base.items():
        for name, first in names.items():
            cells = [f"{timed[f][task][name]:.1f} ({timed[f][task][name] / max(first, 1e-9):.2f}x)" for f in sizes]
            print(f"| {task} | {name} | " + " | ".join(cells) + " |", flush=True)


def catalogue_coverage(graph: UsageGraph) -> float:
    """Share of the graph's uses whose artifact is in the ranked catalogue."""
    counts = np.bincount(graph.uses[:, 1], minlength=graph.num_artifacts)
    return float(counts[artifact_catalogue(graph)].sum() / max(counts.sum(), 1))


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,2,4,16", help="growth factors, measured in this order")
    parser.add_argument("--every-item-sizes", default="1,2", help="sizes also measured ranking every item")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--coverage-only", action="store_true", help="print what the catalogues hold, only")
    parser.add_argument("--signal-times", action="store_true", help="print each signal's seconds per size, only")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    every = {int(s) for s in args.every_item_sizes.split(",") if s}
    place = Place()
    graphs = {}
    for factor in sizes:
        graphs[factor] = UsageGraph.from_bundle(bundle_for(factor, SEED, place))
        print(
            f"{factor}x: the catalogue of {ARTIFACT_CATALOGUE:,} artifacts (of {graphs[factor].num_artifacts:,}) "
            f"holds {catalogue_coverage(graphs[factor]):.1%} of the uses; the people catalogue "
            f"{len(person_catalogue(graphs[factor])):,} of {int((~graphs[factor].person_is_team).sum()):,} persons",
            flush=True,
        )
    if args.coverage_only:
        return
    if args.signal_times:
        print_signal_times(graphs, sizes)
        return
    results: dict[tuple[int, str], list[dict[str, float]]] = {}
    for round_ in range(args.rounds):
        for factor in sizes:
            graph = graphs[factor]
            for variant, limits in (("catalogues", CATALOGUES), ("every item", (EVERY_ITEM, EVERY_ITEM))):
                if variant == "every item" and factor not in every:
                    continue
                figures = measure(graph, *limits)
                results.setdefault((factor, variant), []).append(figures)
                print(
                    f"round {round_ + 1} {factor}x {variant}: fit {figures['fit']:.1f} s, artifacts "
                    f"{figures['artifacts']:.1f} s, team {figures['team']:.1f} s (peak RSS {peak_gib():.2f} GiB)",
                    flush=True,
                )
    base = graphs[sizes[0]]
    print(f"\nmedian of {args.rounds} round(s); growth against {sizes[0]}x in brackets\n")
    print("| size | projects | artifacts | people | edges | ranking | fit s | artifacts s | team s | total s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for (factor, variant), runs in results.items():
        graph = graphs[factor]
        reference = results.get((sizes[0], variant))
        edges = len(graph.uses) + len(graph.members)
        cells = []
        for name in ("fit", "artifacts", "team", "total"):
            value = _median(runs, name)
            growth = value / _median(reference, name) if reference else float("nan")
            cells.append(f"{value:.1f} ({growth:.2f}x)")
        print(
            f"| {factor}x | {graph.num_projects:,} | {graph.num_artifacts:,} | {graph.num_people:,} "
            f"| {edges:,} ({edges / (len(base.uses) + len(base.members)):.2f}x) | {variant} | "
            + " | ".join(cells)
            + " |"
        )
    print(f"\npeak RSS of this process: {peak_gib():.2f} GiB")


def _median(runs: list[dict[str, float]], name: str) -> float:
    if name == "total":
        return float(np.median([run["fit"] + run["artifacts"] + run["team"] for run in runs]))
    return float(np.median([run[name] for run in runs]))


if __name__ == "__main__":
    main()
