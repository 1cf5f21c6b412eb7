"""The served outcome model: a project's chance of removal from what any graph carries.

It is inductive: nothing in it belongs to a node of the graph it was fit on, so it scores
projects, and whole graphs, it never saw. Its inputs, each a named column:
- label-free structure (degrees, how many projects rely on the project's artifact, how
  popular its dependencies are, how busy its people are; `outcome_features`);
- hashed section and tags of the project (`features.hashed_onehot`, `hashed_tags`), off by
  default (they added nothing when measured; see `OutcomeSpec`);
- process metrics (git activity, DORA) when the training graph has any;
- one removal logit per sparse *view* of the project's own content, each a logistic
  regression over a hashed space (no vocabulary, no per-node weights): "dependencies"
  (the ids of the artifacts it uses, per USES kind, and its section) and "words" (its
  name, description and tags).
Gradient-boosted trees on those columns give the probability. Training rows get their view
logits out-of-fold, so a project's own label never reaches its own inputs; every other row,
in this graph or another, gets them from the models fit on all labels.

The neighbourhood outcome features of the graph network's success head (removal rates of a
project's neighbours) are left out on purpose: they need labels in the graph being scored,
which a graph of today's projects does not have.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression

from maestro_graph.ml.training.features import SECTION_BUCKETS, TAG_BUCKETS, hashed_onehot, hashed_tags
from maestro_graph.ml.training.outcome_features import (
    dependency_structure_features,
    member_structure_features,
    publication_matrix,
    published_artifact_features,
)
from maestro_graph.ml.tree_threads import tree_threads
from maestro_graph.ml.usage_graph import UsageGraph

VIEWS = ("dependencies", "words")
HASH_FEATURES = 2**17  # buckets of each hashed view: few collisions among ~20k artifacts or words
FOLDS = 5
VIEW_C = 1.0  # the setting of the bag-of-artifacts baseline
FitLabels = np.ndarray  # per project: 1 removed, 0 survived, nan unknown


@dataclass(frozen=True)
class OutcomeSpec:
    """Which inputs the trees get (label-free structure always)."""

    views: tuple[str, ...] = VIEWS
    # Hashed section and tags: off, since the forward ablation on debian-bullseye showed them
    # adding nothing (README, "Forward in time").
    tags: bool = False
    process: bool = True  # process metrics, when the training graph has any


# The tree baseline of the evaluations: structure and the bag of dependencies only.
TREE_BASELINE = OutcomeSpec(views=("dependencies",), tags=False, process=False)


def structure_columns(graph: UsageGraph) -> dict[str, np.ndarray]:
    """Label-free structure, one named column each (kind and role columns are named by value,
    so graphs with other kinds line up by name)."""
    columns: dict[str, np.ndarray] = {
        "uses_degree": np.log1p(np.bincount(graph.uses[:, 0], minlength=graph.num_projects)),
        "members_degree": np.log1p(np.bincount(graph.members[:, 1], minlength=graph.num_projects)),
        "tag_count": np.log1p([len([t for t in tags.split(",") if t.strip()]) for tags in graph.project_tags]),
    }
    published = published_artifact_features(graph)
    columns["publishes_artifact"], columns["artifact_reliance"] = published[:, 0], published[:, 1]
    kinds = sorted(set(graph.uses_kind))
    roles = sorted(set(graph.members_role))
    dependency_names = (
        [f"uses_{kind}" for kind in kinds]
        + [f"dependents_{kind}" for kind in kinds]
        + [
            "dependency_popularity_mean",
            "dependency_popularity_max",
            "dependency_popularity_min",
            "dependencies_only_here",
            "publisher_degree_mean",
            "publisher_degree_max",
            "publisher_members_mean",
        ]
    )
    member_names = [f"members_{role}" for role in roles] + [
        "teams",
        "people",
        "member_load_mean",
        "member_load_max",
        "member_load_min",
    ]
    for names, matrix in (
        (dependency_names, dependency_structure_features(graph)),
        (member_names, member_structure_features(graph)),
    ):
        if matrix.shape[1] != len(names):  # a change in outcome_features that this list must follow
            raise RuntimeError(f"expected {len(names)} structure columns, got {matrix.shape[1]}")
        columns.update({name: matrix[:, i] for i, name in enumerate(names)})
    return {name: np.asarray(values, dtype=np.float64) for name, values in columns.items()}


def tag_columns(graph: UsageGraph) -> dict[str, np.ndarray]:
    section = hashed_onehot(graph.project_section, SECTION_BUCKETS)
    tags = hashed_tags(graph.project_tags, TAG_BUCKETS)
    return {
        **{f"section_bucket_{i}": section[:, i].astype(np.float64) for i in range(SECTION_BUCKETS)},
        **{f"tag_bucket_{i}": tags[:, i].astype(np.float64) for i in range(TAG_BUCKETS)},
    }


def view_matrix(graph: UsageGraph, view: str) -> sp.csr_matrix:
    """The hashed sparse view of each project's own content (stateless: same text, same columns)."""
    if view == "dependencies":
        tokens: list[list[str]] = [[f"section={section}"] for section in graph.project_section]
        kinds = graph.uses_kind if graph.uses_kind else [""] * len(graph.uses)
        for (project, artifact), kind in zip(graph.uses, kinds, strict=True):
            tokens[project].append(f"{kind}={graph.artifact_ids[artifact]}")
        hasher = FeatureHasher(n_features=HASH_FEATURES, input_type="string", alternate_sign=False)
        return sp.csr_matrix(hasher.transform(tokens))
    if view == "words":
        texts = [
            f"{text} {' '.join('tag_' + t.strip().lower() for t in tags.split(',') if t.strip())}"
            for text, tags in zip(graph.project_text, graph.project_tags, strict=True)
        ]
        vectorizer = HashingVectorizer(
            n_features=HASH_FEATURES, ngram_range=(1, 2), alternate_sign=False, norm="l2", token_pattern=r"(?u)\b\w+\b"
        )
        return sp.csr_matrix(vectorizer.transform(texts))
    raise ValueError(f"unknown view {view!r}; known: {', '.join(VIEWS)}")


@dataclass
class LinearView:
    """A fitted logistic regression over a hashed view, kept as its weights alone."""

    coef: np.ndarray  # (HASH_FEATURES,) float64
    intercept: float

    def logit(self, matrix: sp.csr_matrix) -> np.ndarray:
        return np.asarray(matrix @ self.coef).ravel() + self.intercept


def _fit_view(matrix: sp.csr_matrix, removed: np.ndarray, rows: np.ndarray, seed: int) -> LinearView:
    target = removed[rows]
    if len(np.unique(target)) < 2:
        rate = min(max(float(target.mean()) if len(target) else 0.0, 1e-6), 1 - 1e-6)
        return LinearView(np.zeros(matrix.shape[1]), float(np.log(rate / (1 - rate))))
    # Only the columns the rows use: the rest would get weight 0 anyway (L2), and liblinear's
    # cost grows with the width. liblinear: half the time of lbfgs here, the same ranking.
    fit_rows = matrix[rows]
    used = np.unique(fit_rows.indices)
    model = LogisticRegression(C=VIEW_C, solver="liblinear", random_state=seed).fit(fit_rows[:, used], target)
    coef = np.zeros(matrix.shape[1])
    coef[used] = model.coef_.ravel()
    return LinearView(coef, float(model.intercept_[0]))


def _trees(seed: int, labelled: int) -> HistGradientBoostingClassifier:
    # The settings of the outcome tree baseline; no early stopping, so one seed gives one model.
    # Leaves of 40 projects, fewer on a small graph (a twentieth of its labelled projects, at
    # least 5), where 40 would leave the trees unable to split at all.
    return HistGradientBoostingClassifier(
        learning_rate=0.05,
        max_leaf_nodes=15,
        max_iter=200,
        min_samples_leaf=max(5, min(40, labelled // 20)),
        l2_regularization=1.0,
        early_stopping=False,
        random_state=seed,
    )


@dataclass
class InductiveOutcomeModel:
    """What predicts: the trees' input column names, the view weights, the trees (or a constant)."""

    features: list[str]
    views: dict[str, LinearView]
    trees: HistGradientBoostingClassifier | None
    constant: float | None = None
    seed: int = 0
    metrics: dict = field(default_factory=dict)

    def inputs(self, graph: UsageGraph, process: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """The trees' input matrix for every project of `graph`, columns in `features` order;
        a column the graph cannot give (a USES kind it lacks, no process metrics) is 0."""
        logits = {f"{view}_logit": linear.logit(view_matrix(graph, view)) for view, linear in self.views.items()}
        return _assemble(graph, process, logits, self.features)

    def removal_probability(self, graph: UsageGraph, process: dict[str, np.ndarray] | None = None) -> np.ndarray:
        if self.trees is None:
            return np.full(graph.num_projects, self.constant if self.constant is not None else 0.0)
        with tree_threads():
            return self.trees.predict_proba(self.inputs(graph, process))[:, 1]

    def removal_without_each_use(self, graph: UsageGraph, process: dict[str, np.ndarray] | None = None) -> np.ndarray:
        """Per USES edge (p, a): p's removal probability with a taken out of its dependencies.

        The model is evaluated on p's inputs as they would be without the edge, to first order:
        the inputs that count or average over p's own dependencies (its USES degree and count of
        that kind, how many dependencies only it uses, the means of their popularity and of
        their publishers' size) and its dependencies view are recomputed without a; the maxima
        and minima over its dependencies, and everything about other projects, stay as they are.
        """
        if self.trees is None or len(graph.uses) == 0:
            return np.full(len(graph.uses), self.constant if self.constant is not None else 0.0)
        projects = graph.uses[:, 0]
        rows = self.inputs(graph, process)[projects]
        column = {name: i for i, name in enumerate(self.features)}
        for name, values in _columns_without_each_use(graph).items():
            if name in column:
                rows[:, column[name]] = values
        if "dependencies" in self.views and "dependencies_logit" in column:
            linear = self.views["dependencies"]
            rows[:, column["dependencies_logit"]] -= linear.coef[_dependency_buckets(graph)]
        with tree_threads():
            return self.trees.predict_proba(rows)[:, 1]


def _dependency_buckets(graph: UsageGraph) -> np.ndarray:
    """Per USES edge: the hashed column of its `kind=artifact` token in the dependencies view."""
    kinds = graph.uses_kind if graph.uses_kind else [""] * len(graph.uses)
    tokens = [[f"{kind}={graph.artifact_ids[a]}"] for a, kind in zip(graph.uses[:, 1], kinds, strict=True)]
    hashed = FeatureHasher(n_features=HASH_FEATURES, input_type="string", alternate_sign=False).transform(tokens)
    return sp.csr_matrix(hashed).indices


def _columns_without_each_use(graph: UsageGraph) -> dict[str, np.ndarray]:
    """Per USES edge (p, a): p's count and mean structure columns recomputed without a, named
    as in `structure_columns` (see `InductiveOutcomeModel.removal_without_each_use`)."""
    projects, artifacts = graph.uses[:, 0], graph.uses[:, 1]
    degree = np.bincount(projects, minlength=graph.num_projects).astype(np.float64)
    remaining = degree[projects] - 1
    users = np.bincount(artifacts, minlength=graph.num_artifacts).astype(np.float64)
    popularity = np.log1p(users)
    publication = publication_matrix(graph).T.tocsr()  # artifact -> the project publishing it
    project_members = np.log1p(np.bincount(graph.members[:, 1], minlength=graph.num_projects))
    per_artifact = {
        "dependency_popularity_mean": popularity,
        "publisher_degree_mean": publication @ np.log1p(degree),
        "publisher_members_mean": publication @ project_members,
    }
    columns = {"uses_degree": np.log1p(remaining)}
    for name, values in per_artifact.items():
        totals = np.bincount(projects, weights=values[artifacts], minlength=graph.num_projects)
        columns[name] = np.where(remaining > 0, (totals[projects] - values[artifacts]) / np.maximum(remaining, 1), 0.0)
    only_here = np.bincount(projects, weights=(users[artifacts] == 1).astype(np.float64), minlength=graph.num_projects)
    columns["dependencies_only_here"] = np.log1p(only_here[projects] - (users[artifacts] == 1))
    if graph.uses_kind:
        kinds = np.asarray(graph.uses_kind, dtype=object)
        for kind in sorted(set(graph.uses_kind)):
            mine = kinds == kind
            count = np.bincount(projects[mine], minlength=graph.num_projects).astype(np.float64)
            columns[f"uses_{kind}"] = np.log1p(count[projects] - mine)
    return columns


def _assemble(
    graph: UsageGraph, process: dict[str, np.ndarray] | None, logits: dict[str, np.ndarray], names: list[str]
) -> np.ndarray:
    available = {**structure_columns(graph), **tag_columns(graph), **(process or {}), **logits}
    zeros = np.zeros(graph.num_projects)
    return np.column_stack([np.asarray(available.get(name, zeros), dtype=np.float64) for name in names])


def removal_labels(graph: UsageGraph) -> FitLabels:
    """Per project: 1.0 removed, 0.0 survived, nan unknown (the graph's `success` flipped)."""
    return np.where(np.isnan(graph.success), np.nan, (graph.success == 0).astype(np.float64))


def fit_outcome_model(
    graph: UsageGraph,
    process: dict[str, np.ndarray] | None = None,
    spec: OutcomeSpec | None = None,
    seed: int = 0,
    view_cache: dict[str, tuple[LinearView, np.ndarray]] | None = None,
) -> InductiveOutcomeModel:
    """Fit on `graph`'s labelled projects; `process`: named per-project process metric columns.

    `view_cache` (per view: its all-label weights and out-of-fold logits) lets several fits on
    one graph and seed share the views, which cost more than the trees."""
    spec = spec or OutcomeSpec()
    labels = removal_labels(graph)
    labelled = np.flatnonzero(~np.isnan(labels))
    removed = np.nan_to_num(labels).astype(np.int64)
    # Process columns only when some project has them: columns of zeros add width, nothing else.
    chosen_process = {n: v for n, v in (process or {}).items() if spec.process and np.any(v)}
    names = list(structure_columns(graph)) + (list(tag_columns(graph)) if spec.tags else []) + list(chosen_process)
    names += [f"{view}_logit" for view in spec.views]
    views: dict[str, LinearView] = {}
    fit_logits: dict[str, np.ndarray] = {}
    fold_of = np.random.default_rng([seed, 11]).permutation(len(labelled)) % FOLDS
    cache = {} if view_cache is None else view_cache
    for view in spec.views:
        if view not in cache:
            matrix = view_matrix(graph, view)
            linear = _fit_view(matrix, removed, labelled, seed)
            logit = linear.logit(matrix)
            for fold in range(FOLDS):  # out-of-fold for the rows the trees learn from
                rows = labelled[fold_of == fold]
                logit[rows] = _fit_view(matrix, removed, labelled[fold_of != fold], seed).logit(matrix[rows])
            cache[view] = (linear, logit)
        views[view], fit_logits[f"{view}_logit"] = cache[view]
    target = removed[labelled]
    metrics = {"training_projects": len(labelled), "training_removed": int(target.sum())}
    if len(np.unique(target)) < 2:
        constant = float(target.mean()) if len(target) else 0.0
        return InductiveOutcomeModel(names, views, None, constant=constant, seed=seed, metrics=metrics)
    trees = _trees(seed, len(labelled))
    with tree_threads():
        trees.fit(_assemble(graph, chosen_process, fit_logits, names)[labelled], target)
    return InductiveOutcomeModel(names, views, trees, seed=seed, metrics=metrics)


def training_fingerprint(graph: UsageGraph) -> str:
    """sha256 of what the model learned from: projects, their USES and MEMBER_OF edges (by id,
    with kind and role) and their outcomes, in a canonical order."""
    digest = hashlib.sha256()

    def add(lines: list[str]) -> None:
        for line in sorted(lines):
            digest.update(line.encode("utf-8") + b"\n")
        digest.update(b"--\n")

    add([f"{pid}\t{'' if np.isnan(s) else int(s)}" for pid, s in zip(graph.project_ids, graph.success, strict=True)])
    uses_kind = graph.uses_kind or [""] * len(graph.uses)
    add(
        [
            f"{graph.project_ids[p]}\t{graph.artifact_ids[a]}\t{k}"
            for (p, a), k in zip(graph.uses, uses_kind, strict=True)
        ]
    )
    roles = graph.members_role or [""] * len(graph.members)
    add([f"{graph.person_ids[h]}\t{graph.project_ids[p]}\t{r}" for (h, p), r in zip(graph.members, roles, strict=True)])
    return digest.hexdigest()
