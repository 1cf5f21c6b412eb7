"""Fitting the whole model on one training graph and using it for the three tasks.

Steps (all on training data only):
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

import numpy as np
import torch

from maestro_graph.ml import blend as blending
from maestro_graph.ml.features import node_features
from maestro_graph.ml.model import GraphTensors, build_graph_tensors
from maestro_graph.ml.outcome_features import (dependency_structure_features, member_structure_features,
                                               published_artifact_features)
from maestro_graph.ml.outcome_scores import VIEWS
from maestro_graph.ml.protocol import known_matrix
from maestro_graph.ml.signals import artifact_signals, team_signals
from maestro_graph.ml.success import SuccessHead, artifact_impact, success_inputs
from maestro_graph.ml.train import (TrainConfig, TrainedModel, carve_validation, deterministic_torch,
                                    train_usage_model)
from maestro_graph.ml.usage_graph import UsageGraph


@dataclass
class ModelConfig:
    train: TrainConfig = field(default_factory=TrainConfig)
    blend: bool = True  # False: rank with the GNN scores alone
    seed: int = 0
    outcome_views: tuple[str, ...] = VIEWS  # sparse views whose out-of-fold scores feed the success head


def _gnn_artifact_signal(trained: TrainedModel, z):
    def score(rows: np.ndarray) -> np.ndarray:
        with torch.no_grad(), deterministic_torch(trained.config.threads):
            return trained.model.uses_scores(z, torch.from_numpy(np.asarray(rows))).numpy().astype(np.float64)
    return score


def _gnn_person_signal(trained: TrainedModel, z):
    def score(rows: np.ndarray) -> np.ndarray:
        with torch.no_grad(), deterministic_torch(trained.config.threads):
            return trained.model.member_scores(z, torch.from_numpy(np.asarray(rows))).numpy().astype(np.float64)
    return score


def _process_columns(process: np.ndarray | None, n_projects: int) -> np.ndarray:
    if process is None:
        return np.zeros((n_projects, 0), dtype=np.float32)
    process = np.asarray(process, dtype=np.float32)
    if process.ndim != 2 or process.shape[0] != n_projects:
        raise ValueError(f"process metrics must have one row per project ({n_projects}), got {process.shape}")
    return process


class MaestroModel:
    """A fitted model: `artifact_scores`, `person_scores`, `removal_probability`, `artifact_impact`."""

    def __init__(self, graph: UsageGraph, project_text: np.ndarray, artifact_text: np.ndarray,
                 config: ModelConfig | None = None, process: np.ndarray | None = None):
        """`process`: optional per-project process metrics (git activity, DORA; one row per
        project of `graph`, see `integrations.project_signals`), inputs of the success head."""
        self.graph, self.config = graph, config or ModelConfig()
        self.config.train.seed = self.config.seed
        self.timings: dict[str, float] = {}
        started = time.perf_counter()
        val = carve_validation(graph, self.config.seed, self.config.train.val_queries)
        fit_features = node_features(val.fit_graph, project_text, artifact_text)
        self.trained = train_usage_model(val.fit_graph, fit_features, val, self.config.train)
        self.timings["encoder_s"] = self.trained.seconds

        t = time.perf_counter()
        self.blends: dict[str, blending.LinearBlend] = {}
        if self.config.blend:
            fit_tensors = build_graph_tensors(val.fit_graph, fit_features)
            z_fit = self.trained.embed(fit_tensors)
            art = {"gnn": _gnn_artifact_signal(self.trained, z_fit),
                   **artifact_signals(val.fit_graph, project_text, artifact_text)}
            fit_uses = known_matrix(val.fit_graph.uses, graph.num_projects, graph.num_artifacts)
            self.blends["artifacts"] = blending.fit_blend(
                art, val.artifacts.projects, val.artifacts.hidden, fit_uses, seed=self.config.seed)
            team = {"gnn": _gnn_person_signal(self.trained, z_fit), **team_signals(val.fit_graph, project_text)}
            fit_members = known_matrix(val.fit_graph.members[:, ::-1], graph.num_projects, graph.num_people)
            self.blends["team"] = blending.fit_blend(
                team, val.team.projects, [np.array([h]) for h in val.team.hidden], fit_members,
                seed=self.config.seed, extra_excluded=graph.person_is_team)
        self.timings["blend_s"] = time.perf_counter() - t

        t = time.perf_counter()
        features = node_features(graph, project_text, artifact_text)
        self.tensors: GraphTensors = build_graph_tensors(graph, features)
        self.z = self.trained.embed(self.tensors)
        self.gnn_artifacts = _gnn_artifact_signal(self.trained, self.z)
        self.gnn_people = _gnn_person_signal(self.trained, self.z)
        self._artifact_scorer, self._person_scorer = self.gnn_artifacts, self.gnn_people
        if self.config.blend:
            uses = known_matrix(graph.uses, graph.num_projects, graph.num_artifacts)
            members = known_matrix(graph.members[:, ::-1], graph.num_projects, graph.num_people)
            self._artifact_scorer = self.blends["artifacts"].scorer(
                {"gnn": self.gnn_artifacts, **artifact_signals(graph, project_text, artifact_text)}, uses)
            self._person_scorer = self.blends["team"].scorer(
                {"gnn": self.gnn_people, **team_signals(graph, project_text)}, members,
                extra_excluded=graph.person_is_team)

        text_dim = project_text.shape[1]
        self._structure = np.hstack([features.project[:, text_dim:], published_artifact_features(graph),
                                     dependency_structure_features(graph), member_structure_features(graph),
                                     _process_columns(process, graph.num_projects)])
        self.success_inputs = success_inputs(graph, self.z["project"].numpy(), self._structure, self.config.seed,
                                             views=tuple(self.config.outcome_views))
        self.success_head = SuccessHead(seed=self.config.seed).fit(graph, self.success_inputs)
        self.timings["success_s"] = time.perf_counter() - t
        self.timings["total_s"] = time.perf_counter() - started

    def artifact_scores(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), n_artifacts) scores for the projects `rows`; higher ranks first.

        Known edges are NOT excluded: artifacts a row already uses get a finite
        score like any other (with the blend, exactly 0.0, the neutral value of a
        standardised signal; without it, the GNN score), so callers that rank must
        mask them, as `protocol.rank_artifacts` does.
        """
        return self._artifact_scorer(np.asarray(rows))

    def person_scores(self, rows: np.ndarray) -> np.ndarray:
        """(len(rows), n_people) scores for the projects `rows`; higher ranks first.

        Known edges are NOT excluded: existing members and people of kind team
        get a finite score (with the blend, exactly 0.0; without it, the GNN
        score), so callers that rank must mask them, as `protocol.person_ranks` does.
        """
        return self._person_scorer(np.asarray(rows))

    def removal_probability(self, projects: np.ndarray) -> np.ndarray:
        """Predicted chance that each project is removed (fails)."""
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
        removed = sum(layers[l].numpy()[a_global] for l in range(n_layers))
        return base - (weight[:, None] * removed) / (n_layers + 1)

    def artifact_impact(self) -> np.ndarray:
        """See `maestro_graph.ml.success.artifact_impact` for the definition."""
        return artifact_impact(self.graph, self.success_head, self.success_inputs,
                               self.embedding_without_each_use(), degree_column=0)
