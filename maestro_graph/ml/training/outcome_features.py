"""Outcome features of a project's neighbourhood: label-free structure and label rates.

Neighbourhood outcome features: for each project, smoothed removal rates of
its members' other projects and of its artifacts' other user projects (mean
and max), how many labelled neighbours back them, and the labels of the
projects on either side of its dependencies: the publishers of the artifacts
it uses (a dependency whose project was removed tends to take its users with
it) and the users of the artifact it publishes. Labels of the project itself
must never feed its own features, so training rows are computed out-of-fold
(K folds over the labelled projects) and every other row from all training
labels.

Label-free features (no outcome at all): whether a project publishes an
artifact and how many projects rely on it, how popular its dependencies are,
and how busy its people are.

A project *publishes* the artifact of the same name (see `published_artifacts`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from maestro_graph.ml.usage_graph import UsageGraph, known_matrix

SMOOTHING = 5.0  # pseudo-count pulling small neighbourhoods towards the global rate


def _rates(
    incidence: sp.csr_matrix, removed: np.ndarray, labelled: np.ndarray, prior: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per column (person or artifact): smoothed removal rate over its labelled projects, and that count."""
    weights = labelled.astype(np.float64)
    n = incidence.T @ weights
    k = incidence.T @ (removed * weights)
    return (k + SMOOTHING * prior) / (n + SMOOTHING), n


def _aggregate(incidence: sp.csr_matrix, column_values: np.ndarray, empty: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and max of column values over each project's columns (`empty` for projects with none)."""
    count = np.asarray(incidence.sum(axis=1)).ravel()
    mean = np.where(count > 0, (incidence @ column_values) / np.maximum(count, 1), empty)
    scaled = incidence.multiply(column_values[None, :]).tocsr()
    maximum = np.asarray(scaled.max(axis=1).todense()).ravel()
    maximum = np.where(count > 0, maximum, empty)
    return mean, maximum


def publisher_labels(
    publication: sp.csr_matrix, removed: np.ndarray, labelled: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per artifact: 1 where the project publishing it is labelled, and 1 where that project was removed."""
    return publication.T @ labelled.astype(np.float64), publication.T @ (removed * labelled)


def dependency_removal_columns(
    labelled_dependencies: np.ndarray, removed_dependencies: np.ndarray, prior: float
) -> np.ndarray:
    """log1p(dependencies whose publisher was removed), their smoothed share among dependencies
    with a labelled publisher, and whether there is any (the DEPENDENCY_REMOVAL_FEATURES)."""
    n, k = labelled_dependencies, removed_dependencies
    return np.column_stack([np.log1p(k), (k + SMOOTHING * prior) / (n + SMOOTHING), (k > 0).astype(np.float64)])


def _dependent_removals(
    usage: sp.csr_matrix, publication: sp.csr_matrix, removed: np.ndarray, labelled: np.ndarray, prior: float
) -> np.ndarray:
    """Per project: log1p(removed users of the artifact it publishes), their smoothed rate, log1p(labelled users)."""
    n = publication @ (usage.T @ labelled.astype(np.float64))
    k = publication @ (usage.T @ (removed * labelled))
    return np.column_stack([np.log1p(k), (k + SMOOTHING * prior) / (n + SMOOTHING), np.log1p(n)])


def _features_from(
    labels_removed: np.ndarray, labelled: np.ndarray, usage, membership, publication, prior
) -> np.ndarray:
    person_rate, person_n = _rates(membership, labels_removed, labelled, prior)
    artifact_rate, artifact_n = _rates(usage, labels_removed, labelled, prior)
    pm, px = _aggregate(membership, person_rate, prior)
    am, ax = _aggregate(usage, artifact_rate, prior)
    pn, _ = _aggregate(membership, np.log1p(person_n), 0.0)
    an, _ = _aggregate(usage, np.log1p(artifact_n), 0.0)
    labelled_publisher, removed_publisher = publisher_labels(publication, labels_removed, labelled)
    return np.column_stack(
        [
            pm,
            px,
            am,
            ax,
            pn,
            an,
            dependency_removal_columns(usage @ labelled_publisher, usage @ removed_publisher, prior),
            _dependent_removals(usage, publication, labels_removed, labelled, prior),
        ]
    )


FEATURE_NAMES = (
    "people_rate_mean",
    "people_rate_max",
    "artifact_rate_mean",
    "artifact_rate_max",
    "people_support",
    "artifact_support",
    "dependencies_removed",
    "dependencies_removed_share",
    "any_dependency_removed",
    "dependents_removed",
    "dependents_removed_rate",
    "dependents_labelled",
)
DEPENDENCY_REMOVAL_FEATURES = FEATURE_NAMES[6:9]  # the columns of `dependency_removal_columns`, in order


def neighbourhood_outcome_features(graph: UsageGraph, folds: int = 5, seed: int = 0) -> np.ndarray:
    """(n_projects, len(FEATURE_NAMES)) features; labelled rows out-of-fold, unlabelled rows from all labels.

    `folds=0` computes every row from all labels (for what-if comparisons, not training)."""
    usage = known_matrix(graph.uses, graph.num_projects, graph.num_artifacts)
    membership = known_matrix(graph.members[:, ::-1], graph.num_projects, graph.num_people)
    publication = publication_matrix(graph)
    labelled = ~np.isnan(graph.success)
    removed = np.where(labelled, graph.success == 0, False).astype(np.float64)
    prior = float(removed[labelled].mean()) if labelled.any() else 0.0
    out = _features_from(removed, labelled, usage, membership, publication, prior)
    if folds <= 1:
        return out.astype(np.float32)
    labelled_idx = np.flatnonzero(labelled)
    fold_of = np.random.default_rng([seed, 7]).permutation(len(labelled_idx)) % folds
    for fold in range(folds):
        rows = labelled_idx[fold_of == fold]
        visible = labelled.copy()
        visible[rows] = False
        # The prior is a rate over labels too: the fold's own labels stay out of it.
        fold_prior = float(removed[visible].mean()) if visible.any() else 0.0
        out[rows] = _features_from(removed, visible, usage, membership, publication, fold_prior)[rows]
    return out.astype(np.float32)


def published_artifacts(graph: UsageGraph) -> np.ndarray:
    """Per project: the index of the artifact it publishes, or -1.

    A project whose name is also an artifact's name is taken to publish that
    artifact. Names are compared case-insensitively as the text before the
    first ": " (the `name: description` form of the node text). Data whose
    names never match publishes nothing, and every feature built on it is 0.
    """
    by_name: dict[str, int] = {}
    for index, text in enumerate(graph.artifact_text):
        by_name.setdefault(_name(text), index)
    return np.array([by_name.get(_name(text), -1) for text in graph.project_text], dtype=np.int64)


def publication_matrix(graph: UsageGraph) -> sp.csr_matrix:
    """(n_projects, n_artifacts) binary: project publishes artifact."""
    published = published_artifacts(graph)
    rows = np.flatnonzero(published >= 0)
    return known_matrix(np.column_stack([rows, published[rows]]), graph.num_projects, graph.num_artifacts)


def published_artifact_features(graph: UsageGraph) -> np.ndarray:
    """(n_projects, 2) label-free: [has an artifact of the same name, log1p(projects using that artifact)].

    The more other projects build on a project's artifact, the less likely the
    project is dropped.
    """
    published = published_artifacts(graph)
    users = np.bincount(graph.uses[:, 1], minlength=graph.num_artifacts).astype(np.float64)
    own_use = np.zeros(graph.num_projects)
    has = published >= 0
    if len(graph.uses):
        # A project's own use of its artifact says nothing about others relying on it.
        self_use = graph.uses[published[graph.uses[:, 0]] == graph.uses[:, 1], 0]
        own_use[self_use] = 1.0
    reliance = np.where(has, users[np.maximum(published, 0)] - own_use, 0.0)
    return np.column_stack([has.astype(np.float64), np.log1p(np.maximum(reliance, 0.0))]).astype(np.float32)


def _row_min(incidence: sp.csr_matrix, column_values: np.ndarray, empty: float) -> np.ndarray:
    """Min of column values over each project's columns (`empty` for projects with none)."""
    incidence = incidence.tocsr()
    out = np.full(incidence.shape[0], empty, dtype=np.float64)
    filled = np.flatnonzero(np.diff(incidence.indptr) > 0)
    if len(filled):
        out[filled] = np.minimum.reduceat(column_values[incidence.indices], incidence.indptr[filled])
    return out


def _count_per_kind(edges: np.ndarray, kinds: list[str], n_rows: int, column: int = 0) -> np.ndarray:
    """Edges per value of `edges[:, column]` for each edge attribute value (sorted), one column
    each; no columns when the graph has no attribute."""
    if not kinds:
        return np.zeros((n_rows, 0))
    labels = np.asarray(kinds, dtype=object)
    return np.column_stack(
        [np.bincount(edges[labels == kind, column], minlength=n_rows).astype(np.float64) for kind in sorted(set(kinds))]
    )


def dependency_structure_features(graph: UsageGraph) -> np.ndarray:
    """Label-free, per project, all counts as log1p: USES per kind; users of its published
    artifact per USES kind; popularity of its dependencies (mean, max, min of users, and how many
    only it uses); the size of its dependencies' publishers (mean and max USES degree, mean members).

    Being a hard dependency of others protects a project more than being an
    optional one, so dependents are counted per kind. Rare dependencies and
    dependencies on small, thinly kept projects go with code that is left
    behind when its base moves on.
    """
    usage = known_matrix(graph.uses, graph.num_projects, graph.num_artifacts)
    users = np.asarray(usage.sum(axis=0)).ravel()
    popularity = np.log1p(users)
    popularity_mean, popularity_max = _aggregate(usage, popularity, 0.0)
    only_user = usage @ (users == 1).astype(np.float64)
    publication = publication_matrix(graph).T.tocsr()  # artifact -> the project publishing it
    project_degree = np.log1p(np.bincount(graph.uses[:, 0], minlength=graph.num_projects))
    project_members = np.log1p(np.bincount(graph.members[:, 1], minlength=graph.num_projects))
    publisher_degree_mean, publisher_degree_max = _aggregate(usage, publication @ project_degree, 0.0)
    publisher_members_mean, _ = _aggregate(usage, publication @ project_members, 0.0)
    dependents = publication.T @ _count_per_kind(graph.uses, graph.uses_kind, graph.num_artifacts, column=1)
    return np.column_stack(
        [
            np.log1p(_count_per_kind(graph.uses, graph.uses_kind, graph.num_projects)),
            np.log1p(dependents),
            popularity_mean,
            popularity_max,
            _row_min(usage, popularity, 0.0),
            np.log1p(only_user),
            publisher_degree_mean,
            publisher_degree_max,
            publisher_members_mean,
        ]
    ).astype(np.float32)


def member_structure_features(graph: UsageGraph) -> np.ndarray:
    """Label-free, per project: members per role; people and teams among them; how many
    projects its members keep (mean, max, min of log1p).

    A project kept by one busy person, or by nobody but a team, is cheap to drop.
    """
    membership = known_matrix(graph.members[:, ::-1], graph.num_projects, graph.num_people)
    load = np.log1p(np.asarray(membership.sum(axis=0)).ravel())
    teams = membership @ graph.person_is_team.astype(np.float64)
    people = np.asarray(membership.sum(axis=1)).ravel() - teams
    load_mean, load_max = _aggregate(membership, load, 0.0)
    return np.column_stack(
        [
            np.log1p(_count_per_kind(graph.members[:, ::-1], graph.members_role, graph.num_projects)),
            np.log1p(teams),
            np.log1p(people),
            load_mean,
            load_max,
            _row_min(membership, load, 0.0),
        ]
    ).astype(np.float32)


def _name(text: str) -> str:
    return text.split(": ", 1)[0].strip().lower()
