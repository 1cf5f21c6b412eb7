"""`evaluate --forward`: fit on one snapshot, predict another from its graph alone. The pair is
derived from one bundle with disjoint maintainers; the test side's outcomes only score."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from test_cli import run

from maestro_graph.ml.evaluation.bundle_evaluation import forward_pair, read_outcomes
from maestro_graph.ml.evaluation.forward import HEADLINE, forward_evaluation, forward_run
from maestro_graph.ml.evaluation.snapshot_split import derive
from maestro_graph.ml.evaluation.synthetic import planted_graph
from maestro_graph.ml.usage_graph import UsageGraph


def _write(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_bundle(folder: Path, graph: UsageGraph) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    _write(
        folder / "projects.csv",
        ["project_id", "name", "section", "tags", "description"],
        [
            [pid, text.split(": ")[0], section, tags, text.split(": ")[1]]
            for pid, text, section, tags in zip(
                graph.project_ids, graph.project_text, graph.project_section, graph.project_tags, strict=True
            )
        ],
    )
    _write(
        folder / "artifacts.csv",
        ["artifact_id", "name", "section", "description"],
        [
            [aid, text.split(": ")[0], section, text.split(": ")[1]]
            for aid, text, section in zip(graph.artifact_ids, graph.artifact_text, graph.artifact_section, strict=True)
        ],
    )
    _write(
        folder / "people.csv",
        ["person_id", "kind"],
        [[h, "team" if team else "person"] for h, team in zip(graph.person_ids, graph.person_is_team, strict=True)],
    )
    _write(
        folder / "uses.csv",
        ["project_id", "artifact_id", "kind"],
        [[graph.project_ids[p], graph.artifact_ids[a], "depends"] for p, a in graph.uses],
    )
    _write(
        folder / "members.csv",
        ["person_id", "project_id", "role"],
        [[graph.person_ids[h], graph.project_ids[p], "maintainer"] for h, p in graph.members],
    )
    _write(
        folder / "outcomes.csv",
        ["project_id", "survived_next_release"],
        [[pid, int(s)] for pid, s in zip(graph.project_ids, graph.success, strict=True) if not np.isnan(s)],
    )
    return folder


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("forward")
    graph, _ = planted_graph(seed=3, n_projects=1000, n_artifacts=100, n_people=80)
    derive(write_bundle(root / "whole", graph), root / "pair", seed=0)
    return root / "pair"


def _ids(folder: Path, stem: str, column: str = "project_id") -> list[str]:
    from maestro_graph.ingest.bundle_files import iter_rows

    return [row[column] for row in iter_rows(folder, stem)]


def test_the_derived_pair_splits_projects_and_maintainers_disjointly(pair):
    train, test = set(_ids(pair / "train", "projects")), set(_ids(pair / "test", "projects"))
    assert train and test and not train & test and len(train | test) == 1000
    assert set(_ids(pair / "train", "outcomes")) <= train and set(_ids(pair / "test", "outcomes")) <= test
    assert set(_ids(pair / "train", "uses")) <= train and set(_ids(pair / "test", "members")) <= test
    firsts = {}
    for side in ("train", "test"):
        for row in sorted(_rows(pair / side, "members"), key=lambda r: r["person_id"]):
            firsts.setdefault(row["project_id"], (row["person_id"], side))
    sides_of = {}
    for person, side in firsts.values():
        sides_of.setdefault(person, set()).add(side)
    assert all(len(sides) == 1 for sides in sides_of.values())  # a maintainer's projects stay together


def _rows(folder: Path, stem: str) -> list[dict[str, str]]:
    from maestro_graph.ingest.bundle_files import iter_rows

    return list(iter_rows(folder, stem))


def _unlabelled(graph: UsageGraph) -> UsageGraph:
    return graph.with_edges(success=np.full(graph.num_projects, np.nan))


def test_training_never_reads_the_test_outcomes(pair):
    train = UsageGraph.from_bundle(pair / "train")
    test = UsageGraph.from_bundle(pair / "test")
    with pytest.raises(ValueError, match="carries outcomes"):
        forward_run(train, test, read_outcomes(pair / "test"), seed=0, variants=("trees",))
    outcomes = read_outcomes(pair / "test")
    flipped = {pid: 1.0 - value for pid, value in outcomes.items()}
    honest = forward_run(train, _unlabelled(test), outcomes, seed=0, variants=HEADLINE)
    corrupted = forward_run(train, _unlabelled(test), flipped, seed=0, variants=HEADLINE)
    for name in HEADLINE:
        # The same predictions whatever the test labels say: they never reached training...
        assert np.array_equal(honest["_scores"][name], corrupted["_scores"][name])
        # ...and they are what was scored: flipped labels flip the ranking figure.
        assert corrupted["outcome"][name]["roc_auc"] == pytest.approx(1 - honest["outcome"][name]["roc_auc"])
    # The planted signal (artifact quality) carries across: both predict above chance.
    assert honest["outcome"]["model"]["roc_auc"] > 0.6 and honest["outcome"]["trees"]["roc_auc"] > 0.6


def test_forward_evaluation_through_neo4j_scores_the_model_and_the_trees_over_seeds(pair, graph):
    # What `evaluate --forward` runs, in its scratch Neo4j: both snapshots through the importer.
    train, test = forward_pair(graph, "neo4j", pair / "train", pair / "test")
    assert np.isnan(test.success).all() and not np.isnan(train.success).all()
    assert set(test.project_ids) == set(_ids(pair / "test", "projects"))
    outcomes = read_outcomes(pair / "test")
    figures = forward_evaluation(train, test, outcomes, seeds=[0, 1], variants=HEADLINE)
    assert figures["seeds"] == [0, 1]
    assert set(figures["summary"]["outcome"]) == set(HEADLINE)
    assert figures["summary"]["outcome"]["model"]["roc_auc"]["mean"] > 0.6
    assert all(r["test_projects_scored"] == len(outcomes) for r in figures["runs"])


def test_forward_needs_both_bundles(pair, neo4j_target, monkeypatch, tmp_path):
    result = run(neo4j_target, monkeypatch, tmp_path, "evaluate", "--forward", str(pair / "train"))
    assert result.exit_code == 2 and "two bundles" in result.output
