"""Out-of-fold logistic scores of removal, one per sparse view of a project.

Each view is a sparse matrix over projects:
- "artifacts": the artifacts it uses, one column set per USES kind, plus its section;
- "people": its members, one column set per MEMBER_OF role;
- "words": TF-IDF of its text (name, description) and tags.
A logistic regression on one view predicts removal; its logit becomes one input
of the success head. A project's own label must never reach its own score, so
labelled rows are scored by a model fit on the other folds, and every other row
(unlabelled, held out) by a model fit on all labels. The vocabulary of the text
view is fit on every project's text, which carries no label.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from maestro_graph.ml.usage_graph import UsageGraph, known_matrix

VIEWS = ("artifacts", "people", "words")
FOLDS = 5
C = 1.0  # the setting of the bag-of-artifacts baseline; not tuned further


def _by_attribute(edges: np.ndarray, values: list[str], n_rows: int, n_cols: int) -> tuple[sp.csr_matrix, list[str]]:
    """One block of columns per attribute value ("" when the graph has none), so a
    recommends-only dependency or an uploader-only member can weigh differently."""
    labels = np.asarray(values if values else [""] * len(edges), dtype=object)
    kinds = sorted(set(labels.tolist())) or [""]
    blocks = [known_matrix(edges[labels == kind], n_rows, n_cols) for kind in kinds]
    return sp.hstack(blocks).tocsr(), kinds


def _section_onehot(sections: list[str]) -> sp.csr_matrix:
    names = sorted(set(sections))
    index = {name: i for i, name in enumerate(names)}
    rows = np.arange(len(sections))
    cols = np.array([index[name] for name in sections], dtype=np.int64)
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(sections), max(len(names), 1)))


def _tag_tokens(tags: str) -> list[str]:
    return [t.strip().lower() for t in tags.split(",") if t.strip()]


def _words(graph: UsageGraph) -> sp.csr_matrix:
    texts = [
        f"{text} {' '.join('tag_' + t.replace('::', '_').replace('-', '_') for t in _tag_tokens(tags))}"
        for text, tags in zip(graph.project_text, graph.project_tags, strict=True)
    ]
    if not any(t.strip() for t in texts):
        return sp.csr_matrix((graph.num_projects, 1))
    vectorizer = TfidfVectorizer(min_df=2, ngram_range=(1, 2), sublinear_tf=True, max_features=50000)
    try:
        return vectorizer.fit_transform(texts).tocsr()
    except ValueError:  # no token appears twice: nothing to learn from
        return sp.csr_matrix((graph.num_projects, 1))


def project_views(graph: UsageGraph) -> dict[str, sp.csr_matrix]:
    usage, _ = _by_attribute(graph.uses, graph.uses_kind, graph.num_projects, graph.num_artifacts)
    members, _ = _by_attribute(graph.members[:, ::-1], graph.members_role, graph.num_projects, graph.num_people)
    return {
        "artifacts": sp.hstack([usage, _section_onehot(graph.project_section)]).tocsr(),
        "people": members,
        "words": _words(graph),
    }


@dataclass
class OutcomeScores:
    """Out-of-fold logits per view, plus the all-label models for what-if questions."""

    scores: np.ndarray  # (n_projects, n_views): labelled rows out-of-fold, the rest from all labels
    all_label_scores: np.ndarray  # (n_projects, n_views): every row from the all-label models
    views: tuple[str, ...]
    models: dict[str, LogisticRegression | None] = field(default_factory=dict)
    artifact_kinds: list[str] = field(default_factory=list)

    def artifact_weights(self, graph: UsageGraph) -> np.ndarray:
        """Per USES edge: the logit the "artifacts" view loses when that edge is removed (0 without a model)."""
        model = self.models.get("artifacts")
        if model is None or len(graph.uses) == 0:
            return np.zeros(len(graph.uses))
        kinds = graph.uses_kind if graph.uses_kind else [""] * len(graph.uses)
        block = {kind: i for i, kind in enumerate(self.artifact_kinds)}
        columns = np.array([block[k] for k in kinds]) * graph.num_artifacts + graph.uses[:, 1]
        return model.coef_.ravel()[columns]


def _fit(features: sp.csr_matrix, removed: np.ndarray, rows: np.ndarray, seed: int) -> LogisticRegression | None:
    target = removed[rows]
    if len(np.unique(target)) < 2:
        return None
    return LogisticRegression(C=C, max_iter=3000, random_state=seed).fit(features[rows], target)


def _logit(model: LogisticRegression | None, features: sp.csr_matrix, prior: float) -> np.ndarray:
    if model is None:
        return np.full(features.shape[0], np.log(max(prior, 1e-6) / max(1.0 - prior, 1e-6)))
    return model.decision_function(features)


def outcome_scores(
    graph: UsageGraph, folds: int = FOLDS, seed: int = 0, views: tuple[str, ...] = VIEWS
) -> OutcomeScores:
    """Removal logits per view: labelled rows out-of-fold, the rest from all labels.

    `folds` <= 1 scores every row with the all-label models (for what-if comparisons, not training)."""
    labelled = np.flatnonzero(~np.isnan(graph.success))
    removed = (graph.success == 0).astype(np.int64)
    prior = float(removed[labelled].mean()) if len(labelled) else 0.0
    matrices = project_views(graph)
    _, artifact_kinds = _by_attribute(graph.uses, graph.uses_kind, graph.num_projects, graph.num_artifacts)
    fold_of = np.random.default_rng([seed, 9]).permutation(len(labelled)) % max(folds, 1)
    scores = np.zeros((graph.num_projects, len(views)))
    all_label = np.zeros_like(scores)
    models = {}
    for column, view in enumerate(views):
        features = matrices[view]
        models[view] = _fit(features, removed, labelled, seed)
        scores[:, column] = _logit(models[view], features, prior)
        all_label[:, column] = scores[:, column]
        if folds <= 1:
            continue
        for fold in range(folds):
            rows = labelled[fold_of == fold]
            model = _fit(features, removed, labelled[fold_of != fold], seed)
            scores[rows, column] = _logit(model, features[rows], prior)
    return OutcomeScores(
        scores=scores.astype(np.float32),
        all_label_scores=all_label.astype(np.float32),
        views=tuple(views),
        models=models,
        artifact_kinds=artifact_kinds,
    )
