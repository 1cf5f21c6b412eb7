from dataclasses import replace

import numpy as np

from maestro_graph.ml.evaluation.synthetic import planted_graph
from maestro_graph.ml.training.outcome_features import (
    DEPENDENCY_REMOVAL_FEATURES,
    FEATURE_NAMES,
    _row_min,
    dependency_structure_features,
    member_structure_features,
    neighbourhood_outcome_features,
    published_artifacts,
)
from maestro_graph.ml.training.success import _dependency_removals_without
from maestro_graph.ml.usage_graph import known_matrix


def _publishing_graph(seed=0):
    """The planted graph where project i publishes artifact i (same name) for every artifact."""
    graph, _ = planted_graph(seed=seed, n_projects=400, n_artifacts=120, n_people=50)
    texts = [graph.artifact_text[i] if i < graph.num_artifacts else text for i, text in enumerate(graph.project_text)]
    kinds = ["depends" if i % 3 else "recommends" for i in range(len(graph.uses))]
    roles = ["maintainer" if i % 2 else "uploader" for i in range(len(graph.members))]
    return replace(graph, project_text=texts, uses_kind=kinds, members_role=roles)


def test_projects_publish_the_artifact_of_their_name():
    graph = _publishing_graph()
    published = published_artifacts(graph)
    assert np.array_equal(published[: graph.num_artifacts], np.arange(graph.num_artifacts))
    assert (published[graph.num_artifacts :] == -1).all()


def test_dependency_removals_count_removed_publishers():
    graph = _publishing_graph()
    features = neighbourhood_outcome_features(graph, folds=0)
    removed_publisher = np.zeros(graph.num_artifacts)
    labels = graph.success[: graph.num_artifacts]
    removed_publisher[labels == 0] = 1.0
    usage = known_matrix(graph.uses, graph.num_projects, graph.num_artifacts)
    expected = np.log1p(usage @ removed_publisher)
    assert np.allclose(features[:, FEATURE_NAMES.index("dependencies_removed")], expected, atol=1e-6)


def test_new_outcome_features_never_see_the_projects_own_label():
    graph = _publishing_graph(seed=3)
    labelled = np.flatnonzero(~np.isnan(graph.success[: graph.num_artifacts]))
    flipped = labelled[5]
    success = graph.success.copy()
    success[flipped] = 1.0 - success[flipped]
    before = neighbourhood_outcome_features(graph)
    after = neighbourhood_outcome_features(graph.with_edges(success=success))
    assert np.allclose(before[flipped], after[flipped])
    columns = [FEATURE_NAMES.index(name) for name in DEPENDENCY_REMOVAL_FEATURES]
    assert not np.allclose(before[:, columns], after[:, columns])


def test_structure_features_are_label_free_and_split_by_kind():
    graph = _publishing_graph()
    unlabelled = graph.with_edges(success=np.full(graph.num_projects, np.nan))
    for compute in (dependency_structure_features, member_structure_features):
        assert np.array_equal(compute(graph), compute(unlabelled))
    # Two USES kinds add two columns for the project's uses and two for its dependents; two roles add two.
    plain = replace(graph, uses_kind=[], members_role=[])
    assert dependency_structure_features(graph).shape[1] == dependency_structure_features(plain).shape[1] + 4
    assert member_structure_features(graph).shape[1] == member_structure_features(plain).shape[1] + 2


def test_row_min_skips_empty_rows():
    incidence = known_matrix(np.array([[0, 1], [0, 2], [2, 0]]), 3, 3)
    assert np.allclose(_row_min(incidence, np.array([5.0, 3.0, 4.0]), -1.0), [3.0, -1.0, 5.0])


def test_dependency_removals_without_an_edge_match_the_graph_without_it():
    graph = _publishing_graph(seed=1)
    ablated = _dependency_removals_without(graph)
    columns = [FEATURE_NAMES.index(name) for name in DEPENDENCY_REMOVAL_FEATURES]
    for edge in (0, 17, len(graph.uses) - 1):
        keep = np.arange(len(graph.uses)) != edge
        without = graph.with_edges(uses=graph.uses[keep])
        project = graph.uses[edge, 0]
        expected = neighbourhood_outcome_features(without, folds=0)[project, columns]
        assert np.allclose(ablated[edge], expected, atol=1e-6)
