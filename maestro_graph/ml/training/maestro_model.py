"""`MaestroModel`: the whole model, fit on one training graph and used for the three tasks.

`fit` runs these steps (all on training data only):
1. carve validation USES / MEMBER_OF / outcome labels out of the training graph;
2. train the GNN encoder on the rest (link tasks, early stopping on validation);
3. fit linear blends of the GNN score with classic signals on the validation queries;
4. re-embed the full training graph with the trained encoder and score with the blends;
5. fit the success head on the embeddings, structure (with the published-artifact,
   dependency and member features), neighbourhood outcome features and out-of-fold view scores.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Self

import numpy as np
import torch

from maestro_graph.ml.training import blend as blending
from maestro_graph.ml.training.blend import Signal
from maestro_graph.ml.training.features import NodeFeatures, node_features
from maestro_graph.ml.training.gnn import GraphTensors, build_graph_tensors
from maestro_graph.ml.training.link_blends import (
    ARTIFACTS,
    TEAM,
    classic_signals,
    fit_link_blends,
    link_scorers,
    widened,
)
from maestro_graph.ml.training.outcome_features import (
    dependency_structure_features,
    member_structure_features,
    published_artifact_features,
)
from maestro_graph.ml.training.outcome_scores import VIEWS
from maestro_graph.ml.training.success import (
    SuccessHead,
    SuccessInputs,
    artifact_impact,
    success_inputs,
    success_without_each_use,
)
from maestro_graph.ml.training.training_loop import TrainConfig, TrainedModel, deterministic_torch, train_usage_model
from maestro_graph.ml.training.validation_split import Validation, carve_validation
from maestro_graph.ml.usage_graph import UsageGraph


@dataclass
class ModelConfig:
    train: TrainConfig = field(default_factory=TrainConfig)
    blend: bool = True  # False: rank with the GNN scores alone
    # Also fit every blend without the network's score (evaluation's ablation: the network's
    # lift is the gap between the blend with it and the blend of the classic signals alone).
    ablate_network: bool = False
    seed: int = 0
    outcome_views: tuple[str, ...] = VIEWS  # sparse views whose out-of-fold scores feed the success head


# The key suffix of the blends fitted without the network's score (`ModelConfig.ablate_network`).
_WITHOUT_NETWORK = "_without_gnn"


def _gnn_artifact_signal(
    trained: TrainedModel, z: dict[str, torch.Tensor], catalogue: np.ndarray | None = None
) -> Signal:
    """The network's score of every artifact, or of the `catalogue`'s (its columns, for a blend)."""

    def score(rows: np.ndarray) -> np.ndarray:
        with torch.no_grad(), deterministic_torch(trained.config.threads):
            scores = trained.model.uses_scores(z, torch.from_numpy(np.asarray(rows))).numpy().astype(np.float64)
        return scores if catalogue is None else scores[:, catalogue]

    return score


def _gnn_person_signal(trained: TrainedModel, z: dict[str, torch.Tensor], people: np.ndarray | None = None) -> Signal:
    """The network's score of every person, or of the `people` catalogue's (for a blend)."""

    def score(rows: np.ndarray) -> np.ndarray:
        with torch.no_grad(), deterministic_torch(trained.config.threads):
            scores = trained.model.member_scores(z, torch.from_numpy(np.asarray(rows))).numpy().astype(np.float64)
        return scores if people is None else scores[:, people]

    return score


def _process_columns(process: np.ndarray | None, n_projects: int) -> np.ndarray:
    if process is None:
        return np.zeros((n_projects, 0), dtype=np.float32)
    process = np.asarray(process, dtype=np.float32)
    if process.ndim != 2 or process.shape[0] != n_projects:
        raise ValueError(f"process metrics must have one row per project ({n_projects}), got {process.shape}")
    return process


class MaestroModel:
    """The model of the three tasks. Build it with its configuration, then fit it:

        model = MaestroModel(ModelConfig(seed=0)).fit(graph, project_text, artifact_text)

    and ask it `artifact_scores`, `person_scores`, `removal_probability`,
    `success_probability` and `artifact_impact`. Building does no work; `fit` runs the
    steps of the module docstring, and fitting again replaces everything the last fit learned.
    """

    # What `fit` learns; absent until then.
    graph: UsageGraph
    trained: TrainedModel
    tensors: GraphTensors
    z: dict[str, torch.Tensor]
    gnn_artifacts: Signal  # the GNN's scores alone, without the blend
    gnn_people: Signal
    success_inputs: SuccessInputs
    success_head: SuccessHead
    _artifact_scorer: Signal  # the GNN's scores, blended with the classic signals unless config.blend is False
    _person_scorer: Signal
    classic_artifact_scores: Signal  # with `ablate_network`: the blend of the classic signals alone
    classic_person_scores: Signal

    def __init__(self, config: ModelConfig | None = None):
        self.config = config or ModelConfig()
        self.timings: dict[str, float] = {}
        self.blends: dict[str, blending.LinearBlend] = {}
        self._is_fitted = False

    def fit(
        self, graph: UsageGraph, project_text: np.ndarray, artifact_text: np.ndarray, process: np.ndarray | None = None
    ) -> Self:
        """Fit every part on `graph` (its hidden edges and labels stay hidden); returns the model.

        `project_text`, `artifact_text`: one text vector per node (zero columns for none).
        `process`: optional per-project process metrics (git activity, DORA; one row per
        project of `graph`, see `integrations.project_signals`), inputs of the success head.
        """
        process_columns = _process_columns(process, graph.num_projects)
        self.graph = graph
        self.config.train.seed = self.config.seed
        self.timings, self.blends, self._is_fitted = {}, {}, False
        started = time.perf_counter()
        val = carve_validation(graph, self.config.seed, self.config.train.val_queries)
        fit_features = node_features(val.fit_graph, project_text, artifact_text)
        self.trained = train_usage_model(val.fit_graph, fit_features, val, self.config.train)
        self.timings["encoder_s"] = self.trained.seconds

        t = time.perf_counter()
        if self.config.blend:
            self._fit_blends(val, fit_features, project_text, artifact_text)
        self.timings["blend_s"] = time.perf_counter() - t

        t = time.perf_counter()
        features = node_features(graph, project_text, artifact_text)
        self.tensors = build_graph_tensors(graph, features)
        self.z = self.trained.embed(self.tensors)
        self.gnn_artifacts = _gnn_artifact_signal(self.trained, self.z)
        self.gnn_people = _gnn_person_signal(self.trained, self.z)
        self._artifact_scorer, self._person_scorer = self.gnn_artifacts, self.gnn_people
        if self.config.blend:
            signals = classic_signals(graph, project_text, artifact_text)
            network = signals.with_extra(
                {"gnn": _gnn_artifact_signal(self.trained, self.z, signals.catalogue)},
                {"gnn": _gnn_person_signal(self.trained, self.z, signals.people)},
            )
            artifacts, people = link_scorers(self.blends, network, graph)
            self._artifact_scorer = widened(artifacts, signals.catalogue, graph.num_artifacts)
            self._person_scorer = widened(people, signals.people, graph.num_people)
            if self.config.ablate_network:
                without = {task: self.blends[f"{task}{_WITHOUT_NETWORK}"] for task in (ARTIFACTS, TEAM)}
                artifacts, people = link_scorers(without, signals, graph)
                self.classic_artifact_scores = widened(artifacts, signals.catalogue, graph.num_artifacts)
                self.classic_person_scores = widened(people, signals.people, graph.num_people)

        text_dim = project_text.shape[1]
        structure = np.hstack(
            [
                features.project[:, text_dim:],
                published_artifact_features(graph),
                dependency_structure_features(graph),
                member_structure_features(graph),
                process_columns,
            ]
        )
        self.success_inputs = success_inputs(
            graph, self.z["project"].numpy(), structure, self.config.seed, views=tuple(self.config.outcome_views)
        )
        self.success_head = SuccessHead(seed=self.config.seed).fit(graph, self.success_inputs)
        self.timings["success_s"] = time.perf_counter() - t
        self.timings["total_s"] = time.perf_counter() - started
        self._is_fitted = True
        return self

    def _fit_blends(
        self, val: Validation, fit_features: NodeFeatures, project_text: np.ndarray, artifact_text: np.ndarray
    ) -> None:
        """Blend weights of the GNN score and the classic signals, fit on the validation queries."""
        z_fit = self.trained.embed(build_graph_tensors(val.fit_graph, fit_features))
        classic = classic_signals(val.fit_graph, project_text, artifact_text)
        network = classic.with_extra(
            {"gnn": _gnn_artifact_signal(self.trained, z_fit, classic.catalogue)},
            {"gnn": _gnn_person_signal(self.trained, z_fit, classic.people)},
        )
        self.blends.update(fit_link_blends(val, network, self.config.seed))
        if self.config.ablate_network:
            without = fit_link_blends(val, classic, self.config.seed)
            self.blends.update({f"{task}{_WITHOUT_NETWORK}": blend for task, blend in without.items()})

    def _require_fitted(self) -> None:
        if not self._is_fitted:
            raise RuntimeError("the model is not fitted yet: call fit() first")

    def artifact_scores(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), n_artifacts) scores for the projects `rows`; higher ranks first.

        Known edges are NOT excluded: artifacts a row already uses get a finite
        score like any other (with the blend, exactly 0.0, the neutral value of a
        standardised signal; without it, the GNN score), so callers that rank must
        mask them, as `evaluation.protocol.rank_artifacts` does.
        """
        self._require_fitted()
        return self._artifact_scorer(np.asarray(rows))

    def person_scores(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), n_people) scores for the projects `rows`; higher ranks first.

        Known edges are NOT excluded: existing members and people of kind team
        get a finite score (with the blend, exactly 0.0; without it, the GNN
        score), so callers that rank must mask them, as `evaluation.protocol.person_ranks` does.
        """
        self._require_fitted()
        return self._person_scorer(np.asarray(rows))

    def removal_probability(self, projects: np.ndarray) -> np.ndarray:
        """Predicted chance that each project is removed (fails)."""
        self._require_fitted()
        return self.success_head.removal_probability(self.success_inputs.matrix()[np.asarray(projects)])

    def success_probability(self, projects: np.ndarray) -> np.ndarray:
        return 1.0 - self.removal_probability(projects)

    def embedding_without_each_use(self) -> np.ndarray:
        """Per USES edge (p, a): p's embedding with a's direct messages taken out (first order).

        With LightGCN the final embedding is the mean of layers 0..L, and layer l+1
        of p sums w_pa * h_l(a) over p's neighbours a, with w_pa = 1/sqrt(deg p deg a).
        Removing the edge drops those terms; renormalisation of the other
        neighbours is ignored. The SAGE encoder keeps the embedding unchanged.
        """
        self._require_fitted()
        uses = self.graph.uses
        base = self.z["project"].numpy()[uses[:, 0]]
        if self.trained.model.encoder.kind != "lightgcn" or len(uses) == 0:
            return base
        with torch.no_grad(), deterministic_torch(self.trained.config.threads):
            layers = self.trained.model.encoder.layer_outputs(self.tensors)
        edges = self.tensors.homogeneous_edges
        degree = torch.bincount(edges[1], minlength=layers[0].shape[0]).float().numpy()
        offset = self.tensors.offsets["artifact"]
        a_global = uses[:, 1] + offset
        weight = 1.0 / np.sqrt(np.maximum(degree[uses[:, 0]] * degree[a_global], 1.0))
        n_layers = len(layers) - 1
        removed = sum(layers[layer].numpy()[a_global] for layer in range(n_layers))
        return base - (weight[:, None] * removed) / (n_layers + 1)

    def success_without_each_use(self) -> tuple[np.ndarray, np.ndarray]:
        """(p_success per project, p_without per USES edge): the success head evaluated on each
        project, and on its inputs with each artifact it uses taken out (see
        `maestro_graph.ml.training.success.success_without_each_use`)."""
        self._require_fitted()
        return success_without_each_use(
            self.graph, self.success_head, self.success_inputs, self.embedding_without_each_use(), degree_column=0
        )

    def artifact_impact(self) -> np.ndarray:
        """See `maestro_graph.ml.training.success.artifact_impact` for the definition."""
        self._require_fitted()
        return artifact_impact(
            self.graph, self.success_head, self.success_inputs, self.embedding_without_each_use(), degree_column=0
        )
