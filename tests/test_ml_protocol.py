import gzip
from pathlib import Path

import numpy as np

from maestro_graph.ml.evaluation import baselines, protocol
from maestro_graph.ml.evaluation.synthetic import planted_graph
from maestro_graph.ml.usage_graph import UsageGraph, known_matrix


def _pairs(edges):
    return set(map(tuple, edges.tolist()))


def test_artifact_split_hides_edges_and_is_deterministic():
    graph, _ = planted_graph(seed=1)
    split = protocol.artifact_split(graph, seed=3, n_queries=100)
    again = protocol.artifact_split(graph, seed=3, n_queries=100)
    other = protocol.artifact_split(graph, seed=4, n_queries=100)
    assert np.array_equal(split.projects, again.projects)
    assert all(np.array_equal(a, b) for a, b in zip(split.hidden, again.hidden, strict=True))
    assert not np.array_equal(split.projects, other.projects)
    train = _pairs(split.train.uses)
    degree = np.bincount(graph.uses[:, 0], minlength=graph.num_projects)
    assert len(split.projects) == 100
    for project, hidden in zip(split.projects, split.hidden, strict=True):
        assert degree[project] >= 4
        assert len(hidden) == max(1, int(np.floor(0.3 * degree[project] + 0.5)))
        assert not any((project, a) in train for a in hidden)
    assert len(train) + sum(len(h) for h in split.hidden) == len(graph.uses)


def test_team_split_hides_one_person_member():
    graph, _ = planted_graph(seed=1)
    split = protocol.team_split(graph, seed=0, n_queries=50)
    train = _pairs(split.train.members)
    assert len(train) == len(graph.members) - 50
    for project, person in zip(split.projects, split.hidden, strict=True):
        assert (person, project) not in train
        assert not graph.person_is_team[person]


def test_outcome_split_removes_test_labels():
    graph, _ = planted_graph(seed=1)
    split = protocol.outcome_split(graph, seed=0)
    labelled = np.flatnonzero(~np.isnan(graph.success))
    assert len(split.projects) == int(np.floor(0.2 * len(labelled) + 0.5))
    assert np.isnan(split.train.success[split.projects]).all()
    assert np.array_equal(split.removed, (graph.success[split.projects] == 0).astype(int))
    kept = np.setdiff1d(labelled, split.projects)
    assert np.array_equal(split.train.success[kept], graph.success[kept])


def test_ranking_excludes_known_items():
    graph, _ = planted_graph(seed=2)
    split = protocol.artifact_split(graph, seed=0, n_queries=60)
    # A scorer that prefers exactly the known items must still never return them.
    known = known_matrix(split.train.uses, graph.num_projects, graph.num_artifacts)
    ranked = protocol.rank_artifacts(split.train, lambda rows: np.asarray(known[rows].todense()) * 10.0, split.projects)
    for project, items in zip(split.projects, ranked, strict=True):
        assert not set(items.tolist()) & set(known[project].indices.tolist())
    team = protocol.team_split(graph, seed=0, n_queries=40)
    members = known_matrix(team.train.members[:, ::-1], graph.num_projects, graph.num_people)
    target_of = dict(zip(team.projects.tolist(), team.hidden.tolist(), strict=True))

    def known_first_then_target(rows):
        scores = np.asarray(members[rows].todense()) * 10.0
        scores[np.arange(len(rows)), [target_of[r] for r in rows]] = 5.0
        return scores

    ranks = protocol.person_ranks(team.train, known_first_then_target, team.projects, team.hidden)
    assert (ranks == 1).all()  # known members are masked, so only the target is left on top


def test_baselines_beat_chance_on_planted_graph():
    graph, _ = planted_graph(seed=0)
    split = protocol.artifact_split(graph, seed=0, n_queries=200)
    knn = protocol.measure_artifacts(split, baselines.ItemKNN(split.train))["recall@10"]
    pop = protocol.measure_artifacts(split, baselines.ArtifactPopularity(split.train))["recall@10"]
    assert knn > pop


def _write(path: Path, text: str) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(text)


def test_from_bundle_skips_unknown_ids_and_allows_empty_relations(tmp_path):
    _write(
        tmp_path / "projects.csv.gz",
        "project_id,name,section,tags,description\n"
        'src:a,a,net,"role::program, interface::x11",A tool\nsrc:b,b,libs,,B lib\n',
    )
    (tmp_path / "artifacts.csv").write_text("artifact_id,name,section,description\nart:x,x,libs,X\nart:y,y,libs,\n")
    (tmp_path / "people.csv").write_text("person_id,kind\nh1,person\nh2,team\n")
    (tmp_path / "uses.csv").write_text(
        "project_id,artifact_id,kind\nsrc:a,art:x,depends\nsrc:a,art:x,recommends\n"
        "src:b,art:y,depends\nsrc:zz,art:x,depends\nsrc:a,art:nope,depends\n"
    )
    (tmp_path / "members.csv").write_text(
        "person_id,project_id,role\nh1,src:a,maintainer\nh2,src:b,maintainer\nghost,src:a,uploader\n"
    )
    (tmp_path / "outcomes.csv").write_text("project_id,survived_next_release\nsrc:a,1\nsrc:b,0\nsrc:q,1\n")
    graph = UsageGraph.from_bundle(tmp_path)
    assert graph.project_ids == ["src:a", "src:b"]
    assert graph.uses.tolist() == [[0, 0], [1, 1]]
    assert graph.members.tolist() == [[0, 0], [1, 1]]
    assert graph.created.shape == (0, 2) and graph.derived.shape == (0, 2)
    assert graph.person_is_team.tolist() == [False, True]
    assert graph.success.tolist() == [1.0, 0.0]
    assert graph.project_text[0] == "a: A tool" and graph.artifact_text[1] == "y"
    # The first row of a repeated pair decides its attribute.
    assert graph.uses_kind == ["depends", "depends"]
    assert graph.members_role == ["maintainer", "maintainer"]


def test_edge_attributes_follow_their_edges_through_splits():
    graph, _ = planted_graph(seed=3)
    kinds = ["depends" if (p + a) % 3 else "recommends" for p, a in graph.uses.tolist()]
    graph = graph.with_edges(uses_kind=kinds)
    split = protocol.artifact_split(graph, seed=0, n_queries=50)
    assert len(split.train.uses_kind) == len(split.train.uses) < len(graph.uses)
    expected = ["depends" if (p + a) % 3 else "recommends" for p, a in split.train.uses.tolist()]
    assert split.train.uses_kind == expected
    # A constructor that knows no attributes keeps working and says so with an empty list.
    assert protocol.team_split(graph, seed=0, n_queries=20).train.members_role == []
